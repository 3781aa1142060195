using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Drover.Server.Hosting;

namespace Drover.Cli.Bench;

/// <summary>
/// Idle cost: the CPU a real <c>drover serve</c> child (SQLite, default slots, nothing queued) uses while nothing happens,
/// from its utime + stime in /proc over <c>--idle-seconds</c>, after a few seconds to settle. Percent of one core.
/// </summary>
public static class IdleBench
{
    // Long enough for start-up work to end (tiered compilation re-JITs hot methods for several seconds), so the
    // figure is what a serve left alone costs, not its start.
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(12);

    /// <summary>USER_HZ, the unit of /proc/PID/stat times: 100 on every Linux the kernel ABI allows userland to see.</summary>
    private const double ClockTicksPerSecond = 100;

    public static async Task RunAsync(int seconds, int reps, BenchStats stats, TextWriter progress, CancellationToken ct)
    {
        if (!OperatingSystem.IsLinux())
        {
            await progress.WriteLineAsync("  idle: skipped (reads /proc, Linux only)");
            return;
        }

        for (var rep = 1; rep <= reps; rep++)
        {
            using var dir = new TempDir();
            var output = new ConcurrentQueue<string>();
            using var serve = GatewayBench.StartServe(dir.Path, output, slots: 2);
            try
            {
                await GatewayBench.WaitForServerAsync(serve, new DroverHome(dir.Path), output, ct);
                await Task.Delay(Settle, ct);
                var before = CpuSeconds(serve.Id);
                var clock = Stopwatch.StartNew();
                await Task.Delay(TimeSpan.FromSeconds(seconds), ct);
                var pct = (CpuSeconds(serve.Id) - before) / clock.Elapsed.TotalSeconds * 100;
                stats.Add("store=sqlite mode=serve metric=idle_cpu_pct", pct);
                await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  rep {rep}: {pct:0.00}% of a core over {clock.Elapsed.TotalSeconds:0.0} s"));
            }
            finally
            {
                await GatewayBench.StopAsync(serve);
            }
        }
    }

    /// <summary>utime + stime of a process (fields 14 and 15 of /proc/PID/stat, counted after the parenthesised name).</summary>
    private static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ClockTicksPerSecond;
    }
}
