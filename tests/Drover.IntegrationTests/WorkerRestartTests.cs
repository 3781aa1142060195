using System.Diagnostics;

namespace Drover.IntegrationTests;

/// <summary>A worker name is one process's: a restart after a SIGKILL is a loss the report counts; a live holder is never shared.</summary>
public sealed class WorkerRestartTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] Serve = ["serve", "--port", "0", "--name", "box", "--slots", "1", "--heartbeat", "1s"];

    [Fact]
    public async Task Serve_SigkilledAndRestartedUnderItsName_ReportCountsTheLoss_AndTheGapAsDown()
    {
        using var t = new TestHome();
        var first = t.Cli.Start(Serve);
        await t.WaitForServerAsync(first, TimeSpan.FromSeconds(60));
        await Task.Delay(1500, Ct);
        first.Signal(Native.SIGKILL);
        (await first.WaitForExitAsync(TimeSpan.FromSeconds(10))).ShouldBeTrue();
        var killedAt = Stopwatch.StartNew();
        await first.DisposeAsync();
        File.Delete(Path.Combine(t.Home, "server.json")); // left behind by the kill

        // Back before any reaper could notice (its heartbeat timeout is 3 s, nothing else runs): the restart finds it.
        await Task.Delay(4000, Ct);
        await using var second = t.Cli.Start(Serve);
        await t.WaitForServerAsync(second, TimeSpan.FromSeconds(60));
        var gap = killedAt.Elapsed.TotalSeconds;

        var report = await t.Cli.RunAsync("report", "--days", "1", "--json");
        report.ExitCode.ShouldBe(0, report.ToString());
        var overall = report.Json.GetProperty("overall");
        overall.GetProperty("worker_losses").GetInt32().ShouldBe(1, report.Stdout);
        overall.GetProperty("recovered_losses").GetInt32().ShouldBe(1);
        overall.GetProperty("mttr_s").GetDouble().ShouldBeGreaterThanOrEqualTo(4);
        overall.GetProperty("uptime").GetDouble().ShouldBeLessThan(1.0);
        overall.GetProperty("up_s").GetDouble().ShouldBeLessThanOrEqualTo(overall.GetProperty("covered_s").GetDouble() - 4);
        gap.ShouldBeGreaterThanOrEqualTo(4);

        var workers = (await t.Cli.RunAsync("workers", "--json")).Json.GetProperty("workers").EnumerateArray().ToList();
        workers.ShouldHaveSingleItem().GetProperty("name").GetString().ShouldBe("box");
        workers[0].GetProperty("state").GetString().ShouldBe("idle");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline && !(await t.Cli.RunAsync("alerts", "--json")).Stdout.Contains("worker_lost:box", StringComparison.Ordinal))
            await Task.Delay(250, Ct);
        (await t.Cli.RunAsync("alerts", "--json")).Stdout.ShouldContain("worker_lost:box", Case.Sensitive, second.Output);
    }

    [Fact]
    public async Task Worker_NameHeldByALiveServe_RefusedNamingIt_TheServeKeepsItsRow()
    {
        using var t = new TestHome();
        await using var serve = t.Cli.Start(Serve);
        await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));

        var second = await t.Cli.RunAsync("worker", "--name", "box", "--slots", "1");

        second.ExitCode.ShouldBe(1, second.ToString());
        second.Stderr.ShouldContain("worker name box is in use by a live worker (pid ");
        second.Stderr.ShouldNotContain("   at ");
        var workers = (await t.Cli.RunAsync("workers", "--json")).Json.GetProperty("workers").EnumerateArray().ToList();
        workers.ShouldHaveSingleItem().GetProperty("pid").GetInt32().ShouldBe(serve.Process.Id);
    }
}
