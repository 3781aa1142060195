using System.Net;
using System.Text.Json;
using Drover.Server.Jobs;

namespace Drover.IntegrationTests;

/// <summary>drover status --check and GET /healthz: the fleet's health for cron and monitors.</summary>
public sealed class HealthTests
{
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static WorkerView Worker(string name, string state, double ageS) =>
        new(name, "host-" + name, 1, state, 2, [], [], Now.AddHours(-1), Now.AddSeconds(-ageS), ageS);

    private static StatusView Status(long queued, params WorkerView[] workers) =>
        new(workers, new Dictionary<string, long> { ["queued"] = queued, ["running"] = 0 }, false, [], []);

    [Fact]
    public void Evaluate_LiveFreshWorkers_Ok()
    {
        var h = FleetHealth.Evaluate(Status(5, Worker("a", "idle", 2), Worker("b", "stopped", 9000)), TimeSpan.FromSeconds(60));
        h.Status.ShouldBe("ok");
        h.Reasons.ShouldBeEmpty();
    }

    [Fact]
    public void Evaluate_LostStaleAndNoLiveWorker_EachNamedInItsOwnReason()
    {
        var h = FleetHealth.Evaluate(
            Status(3, Worker("a", "lost", 40), Worker("b", "busy", 75), Worker("old", "lost", 3 * 86400)),
            TimeSpan.FromSeconds(60));

        h.Status.ShouldBe("degraded");
        h.Reasons.ShouldBe([
            "worker a on host-a lost: no heartbeat for 40 s",
            "worker b on host-b stale: last heartbeat 75 s ago",
            "3 jobs queued and no live worker to run them",
        ]);
    }

    [Fact]
    public void Evaluate_LiveWorkerWithGate_DegradedNamingWorkerAndReason()
    {
        var gated = Worker("small", "idle", 1) with { Gate = "free memory 310 MiB < 512 MiB (min_free_memory)" };

        var h = FleetHealth.Evaluate(Status(2, gated, Worker("big", "busy", 1)), TimeSpan.FromSeconds(60));

        h.Status.ShouldBe("degraded");
        h.Reasons.ShouldBe(["worker small on host-small claims nothing: free memory 310 MiB < 512 MiB (min_free_memory)"]);
    }

    [Fact]
    public void Evaluate_PausedWithQueuedJobs_DegradedNamingTheCount()
    {
        var h = FleetHealth.Evaluate(Status(4, Worker("a", "idle", 2)) with { Paused = true }, TimeSpan.FromSeconds(60));

        h.Status.ShouldBe("degraded");
        h.Reasons.ShouldBe(["fleet paused with 4 queued jobs"]);
    }

    [Fact]
    public void Evaluate_PausedWithNothingQueued_Ok() =>
        FleetHealth.Evaluate(Status(0, Worker("a", "idle", 2)) with { Paused = true }, TimeSpan.FromSeconds(60)).Ok.ShouldBeTrue();

    [Fact]
    public void Evaluate_NoWorkersAndNothingQueued_Ok() =>
        FleetHealth.Evaluate(Status(0), TimeSpan.FromSeconds(60)).Ok.ShouldBeTrue();

    [Fact]
    public async Task SigkilledWorker_MakesStatusCheckFailAndHealthzDegraded_NamingIt_UntilItIsBack()
    {
        using var t = new TestHome();
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "0", "--heartbeat", "1s", "--lease-ttl", "3s"]);
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        using var anon = t.Http(url, withToken: false);
        var worker = t.Cli.Start(["worker", "--name", "night-shift", "--slots", "1", "--heartbeat", "1s"]);
        try
        {
            await WaitAsync(async () => (await t.Cli.RunAsync("status", "--check")).ExitCode == 0, TimeSpan.FromSeconds(30));
            (await t.Cli.RunAsync("status", "--check")).ExitCode.ShouldBe(0);

            worker.Signal(Native.SIGKILL);
            await worker.WaitForExitAsync(TimeSpan.FromSeconds(10));
            await WaitAsync(async () => (await t.Cli.RunAsync("status", "--check")).ExitCode != 0, TimeSpan.FromSeconds(30));

            var check = await t.Cli.RunAsync("status", "--check");
            check.ExitCode.ShouldBe(1, check.ToString());
            check.Stdout.ShouldContain("degraded");
            check.Stdout.ShouldContain("worker night-shift on");
            check.Stdout.ShouldContain("lost");
            using var response = await anon.GetAsync(new Uri("/healthz", UriKind.Relative), TestContext.Current.CancellationToken);
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
            body.GetProperty("status").GetString().ShouldBe("degraded");
            body.GetProperty("reasons")[0].GetString()!.ShouldStartWith("worker night-shift on ");

            // Back under the same name: healthy again.
            await worker.DisposeAsync();
            worker = t.Cli.Start(["worker", "--name", "night-shift", "--slots", "1", "--heartbeat", "1s"]);
            await WaitAsync(async () => (await t.Cli.RunAsync("status", "--check")).ExitCode == 0, TimeSpan.FromSeconds(30));
            (await t.Cli.RunAsync("status", "--check", "--json")).Json.GetProperty("status").GetString().ShouldBe("ok");
        }
        finally
        {
            await worker.DisposeAsync();
        }
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !await condition())
            await Task.Delay(250, TestContext.Current.CancellationToken);
    }
}
