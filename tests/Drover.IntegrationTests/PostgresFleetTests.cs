using System.Globalization;
using System.Text;
using System.Text.Json;
using Drover.Storage.Postgres.Testing;

namespace Drover.IntegrationTests;

/// <summary>
/// Several hosts on one PostgreSQL queue, as real processes: a <c>serve</c> and two <c>worker</c> processes, all with
/// <c>--store postgres://…</c>, against a throwaway cluster started for the test.
/// </summary>
public sealed class PostgresFleetTests(PostgresCluster pg) : IClassFixture<PostgresCluster>
{
    private static readonly string[] FastWorker = ["--slots", "4", "--lease-ttl", "3s", "--heartbeat", "1s", "--kill-grace", "1s"];

    [Fact]
    public async Task ServeAndTwoWorkers_DrainTheQueue_ASigkilledWorkerLosesNothing_EachJobSucceedsOnce()
    {
        using var t = new TestHome();
        t.Cli.Env["DROVER_STORE"] = pg.StoreUrl(await pg.NewDatabaseAsync());
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "0"]);
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        await using var w1 = t.Cli.Start(["worker", "--name", "host-a", .. FastWorker]);

        // Each job marks its start, sleeps, then records "job attempt": the side effect a re-run would repeat.
        const int Jobs = 30;
        using var http = t.Http(url);
        var ids = new List<long>();
        for (var i = 0; i < Jobs; i++)
        {
            var body = JsonSerializer.Serialize(new
            {
                title = $"job {i}",
                command = "touch started-$DROVER_JOB_ID; sleep 3; echo \"$DROVER_JOB_ID $DROVER_ATTEMPT\" >> side-effects.txt",
                repo = t.Scratch,
                @lock = "none", // independent jobs: run side by side (the default lock is one running job per repo)
            });
            using var r = await http.PostAsync("/api/jobs", new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
            r.IsSuccessStatusCode.ShouldBeTrue(await r.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            ids.Add(JsonDocument.Parse(await r.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("job").GetProperty("id").GetInt64());
        }

        // Kill host-a once one of its agents has really started (it then has 3 s to go), and only then start host-b.
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline && !await AgentRunningOnAsync(http, t.Scratch, "host-a"))
            await Task.Delay(50, TestContext.Current.CancellationToken);
        w1.Signal(Native.SIGKILL);
        await w1.WaitForExitAsync(TimeSpan.FromSeconds(10));
        await using var w2 = t.Cli.Start(["worker", "--name", "host-b", .. FastWorker]);

        var status = await WaitForAsync(t, s => s.GetProperty("counts").GetProperty("succeeded").GetInt64() == Jobs, TimeSpan.FromSeconds(180));
        status.GetProperty("counts").GetProperty("succeeded").GetInt64().ShouldBe(Jobs, status.ToString());
        var workers = status.GetProperty("workers").EnumerateArray().ToDictionary(w => w.GetProperty("name").GetString()!);
        workers.Keys.ShouldBe(["host-a", "host-b"], ignoreOrder: true);
        workers["host-b"].GetProperty("heartbeat_age_s").GetDouble().ShouldBeLessThan(10);

        // Every job succeeded exactly once, and its succeeded attempt left its side effect exactly once.
        var lines = File.ReadAllLines(Path.Combine(t.Scratch, "side-effects.txt")).Select(l => l.Split(' ')).ToList();
        var rerun = 0;
        foreach (var id in ids)
        {
            var job = JsonDocument.Parse(await http.GetStringAsync($"/api/jobs/{id}", TestContext.Current.CancellationToken)).RootElement;
            job.GetProperty("state").GetString().ShouldBe("succeeded");
            job.GetProperty("events").EnumerateArray().Count(e => e.GetProperty("type").GetString() == "job.succeeded").ShouldBe(1);
            var attempt = job.GetProperty("attempt").GetInt32().ToString(CultureInfo.InvariantCulture);
            lines.Count(l => l[0] == id.ToString(CultureInfo.InvariantCulture) && l[1] == attempt).ShouldBe(1, $"job {id}");
            rerun += job.GetProperty("attempt").GetInt32() - 1;
        }

        rerun.ShouldBeGreaterThan(0, $"host-a held running agents when it was killed; they ran again on host-b. host-a: {w1.Output}");
        TestContext.Current.SendDiagnosticMessage($"{Jobs} jobs, {rerun} re-runs after the SIGKILL");
    }

    [Fact]
    public async Task ADatabaseRestartMidRun_LosesNoJob_AndWorkersCarryOn()
    {
        using var t = new TestHome();
        t.Cli.Env["DROVER_STORE"] = pg.StoreUrl(await pg.NewDatabaseAsync());
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "0"]);
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        await using var worker = t.Cli.Start(["worker", "--name", "host-a", "--slots", "4", "--lease-ttl", "10s", "--heartbeat", "1s", "--kill-grace", "1s"]);
        using var http = t.Http(url);
        const int Jobs = 20;
        for (var i = 0; i < Jobs; i++)
        {
            var body = JsonSerializer.Serialize(new { title = $"job {i}", command = "sleep 0.5; echo \"$DROVER_JOB_ID\" >> side-effects.txt", repo = t.Scratch });
            using var r = await http.PostAsync("/api/jobs", new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
            r.IsSuccessStatusCode.ShouldBeTrue();
        }

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !File.Exists(Path.Combine(t.Scratch, "side-effects.txt")))
            await Task.Delay(100, TestContext.Current.CancellationToken);
        await pg.RestartAsync();

        var status = await WaitForAsync(t, s => s.GetProperty("counts").GetProperty("succeeded").GetInt64() == Jobs, TimeSpan.FromSeconds(120));
        status.GetProperty("counts").GetProperty("succeeded").GetInt64().ShouldBe(Jobs, $"{status}\nworker: {worker.Output}");
        File.ReadAllLines(Path.Combine(t.Scratch, "side-effects.txt")).Distinct().Count().ShouldBe(Jobs);
        Native.Alive(worker.Pid).ShouldBeTrue("the worker rode out the restart");
    }

    [Fact]
    public async Task ADatabaseThatStopsAnswering_StopsTheAgentWhenItsLeaseRunsOut_AndTheJobRunsAgainLater()
    {
        // A frozen server (SIGSTOP: connections open, nothing answers) is what a worker sees in a partition. It may
        // keep its agent only while its lease could still be valid, then must stop it; the job is not lost.
        using var t = new TestHome();
        t.Cli.Env["DROVER_STORE"] = pg.StoreUrl(await pg.NewDatabaseAsync());
        await using var worker = t.Cli.Start(["worker", "--name", "host-a", "--slots", "1", "--lease-ttl", "4s", "--heartbeat", "1s", "--kill-grace", "1s"]);
        var submit = await t.Cli.RunAsync(
            "submit", "--json", "--lock", "none", "--repo", t.Scratch, "-c",
            "if [ -e first ]; then echo again >> side-effects.txt; exit 0; fi; touch first; echo $$ > agent.pid; exec sleep 120");
        submit.ExitCode.ShouldBe(0, submit.ToString());
        var pidFile = Path.Combine(t.Scratch, "agent.pid");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !File.Exists(pidFile))
            await Task.Delay(50, TestContext.Current.CancellationToken);
        await Task.Delay(200, TestContext.Current.CancellationToken);
        var agent = Native.HostPid(int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture), "DROVER_WORKSPACE=" + t.Scratch);

        var frozenAt = DateTime.UtcNow;
        await pg.FreezeAsync();
        double stoppedAfter;
        try
        {
            while (Native.Alive(agent) && DateTime.UtcNow - frozenAt < TimeSpan.FromSeconds(30))
                await Task.Delay(50, TestContext.Current.CancellationToken);
            stoppedAfter = (DateTime.UtcNow - frozenAt).TotalSeconds;
        }
        finally
        {
            await pg.ThawAsync();
        }

        Native.Alive(agent).ShouldBeFalse($"the agent outlived its lease by far with the database unreachable\nworker: {worker.Output}");
        // Lease 4 s (renewed every 1.3 s, so at most 4 s left) plus the 1 s kill grace and polling slack.
        stoppedAfter.ShouldBeLessThan(8, worker.Output);

        var status = await WaitForAsync(t, s => s.GetProperty("counts").GetProperty("succeeded").GetInt64() == 1, TimeSpan.FromSeconds(90));
        status.GetProperty("counts").GetProperty("succeeded").GetInt64().ShouldBe(1, $"{status}\nworker: {worker.Output}");
        File.ReadAllLines(Path.Combine(t.Scratch, "side-effects.txt")).ShouldBe(["again"]);
        TestContext.Current.SendDiagnosticMessage($"agent stopped {stoppedAfter:F1} s after the database froze (lease 4 s)");
    }

    [Fact]
    public async Task TheLogOfAnAttemptOnAnotherHost_IsServedByTheApi_FromWhatItsWorkerShipped()
    {
        using var t = new TestHome();
        t.Cli.Env["DROVER_STORE"] = pg.StoreUrl(await pg.NewDatabaseAsync());
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "0"]);
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        // The worker has a home (and run files) of its own, as on another machine.
        var otherHome = Path.Combine(t.Root, "host-b-home");
        await using var worker = t.Cli.Start(["worker", "--home", otherHome, "--name", "host-b", "--slots", "1", "--heartbeat", "1s"]);
        using var http = t.Http(url);
        var body = JsonSerializer.Serialize(new { title = "remote log", command = "echo first line from host-b; sleep 2; echo last line", repo = t.Scratch, @lock = "none" });
        using var submitted = await http.PostAsync("/api/jobs", new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var id = JsonDocument.Parse(await submitted.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("job").GetProperty("id").GetInt64();

        // While it runs: the first line arrives within about a second of being written.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var live = "";
        while (DateTime.UtcNow < deadline && !live.Contains("first line from host-b", StringComparison.Ordinal))
        {
            live = await http.GetStringAsync($"/api/jobs/{id}/log", TestContext.Current.CancellationToken);
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        live.ShouldContain("first line from host-b", customMessage: worker.Output);
        var status = await WaitForAsync(t, s => s.GetProperty("counts").GetProperty("succeeded").GetInt64() == 1, TimeSpan.FromSeconds(60));
        status.GetProperty("counts").GetProperty("succeeded").GetInt64().ShouldBe(1, worker.Output);
        Directory.Exists(Path.Combine(t.Home, "runs", id.ToString(CultureInfo.InvariantCulture))).ShouldBeFalse("serve's host never ran it");
        var log = await t.Cli.RunAsync("logs", id.ToString(CultureInfo.InvariantCulture), "--url", url);
        log.Stdout.ShouldContain("first line from host-b");
        log.Stdout.ShouldContain("last line");
    }

    private static async Task<bool> AgentRunningOnAsync(HttpClient http, string scratch, string worker)
    {
        var running = JsonDocument.Parse(await http.GetStringAsync("/api/jobs?state=running&limit=100", TestContext.Current.CancellationToken)).RootElement;
        return running.GetProperty("jobs").EnumerateArray().Any(j =>
            j.GetProperty("worker").GetString() == worker && File.Exists(Path.Combine(scratch, $"started-{j.GetProperty("id").GetInt64()}")));
    }

    private static async Task<JsonElement> WaitForAsync(TestHome t, Func<JsonElement, bool> until, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var s = (await t.Cli.RunAsync("status", "--json")).Json;
            if (until(s) || DateTime.UtcNow > deadline)
                return s;
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
    }
}
