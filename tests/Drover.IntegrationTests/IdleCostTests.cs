using System.Diagnostics;
using System.Globalization;

namespace Drover.IntegrationTests;

/// <summary>What an idle `serve` costs while nothing happens (it polled SQLite every 2 ms: 10–17% of a core).</summary>
public sealed class IdleCostTests
{
    [Fact]
    public async Task IdleServe_WithWorkerSlots_UsesUnderFivePercentOfACore()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "reads /proc");
        using var t = new TestHome();
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "2"]);
        await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken); // start-up and JIT settle

        var before = CpuSeconds(serve.Process.Id);
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        var percent = (CpuSeconds(serve.Process.Id) - before) / clock.Elapsed.TotalSeconds * 100;

        TestContext.Current.SendDiagnosticMessage($"idle serve: {percent:0.00}% of a core");
        // About 1% here; the bound leaves room for a loaded shared machine.
        percent.ShouldBeLessThan(5, serve.Output);
    }

    private static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }
}
