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
    private static readonly string[] FastWorker = ["--slots", "3", "--lease-ttl", "3s", "--heartbeat", "1s", "--kill-grace", "1s"];

    [Fact]
    public async Task ServeAndTwoWorkers_DrainTheQueue_ASigkilledWorkerLosesNothing_EachJobSucceedsOnce()
    {
        using var t = new TestHome();
        t.Cli.Env["DROVER_STORE"] = pg.StoreUrl(await pg.NewDatabaseAsync());
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "0"]);
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        await using var w1 = t.Cli.Start(["worker", "--name", "host-a", .. FastWorker]);
        await using var w2 = t.Cli.Start(["worker", "--name", "host-b", .. FastWorker]);

        // Each job sleeps, then records "job attempt" once: the side effect a re-run would repeat.
        const int Jobs = 40;
        using var http = t.Http(url);
        var ids = new List<long>();
        for (var i = 0; i < Jobs; i++)
        {
            var body = JsonSerializer.Serialize(new { title = $"job {i}", command = "sleep 2; echo \"$DROVER_JOB_ID $DROVER_ATTEMPT\" >> side-effects.txt", repo = t.Scratch });
            using var r = await http.PostAsync("/api/jobs", new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
            r.IsSuccessStatusCode.ShouldBeTrue(await r.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            ids.Add(JsonDocument.Parse(await r.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("job").GetProperty("id").GetInt64());
        }

        // Kill host-a while it holds jobs (each runs 2 s, far longer than noticing that and killing it).
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !(await RunningOnAsync(t, "host-a")))
            await Task.Delay(100, TestContext.Current.CancellationToken);
        w1.Signal(Native.SIGKILL);
        await w1.WaitForExitAsync(TimeSpan.FromSeconds(10));

        var status = await WaitForAsync(t, s => s.GetProperty("counts").GetProperty("succeeded").GetInt64() == Jobs, TimeSpan.FromSeconds(180));
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

        rerun.ShouldBeGreaterThan(0, "host-a held jobs when it was killed; they ran again on host-b");
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

    private static async Task<bool> RunningOnAsync(TestHome t, string worker)
    {
        var r = await t.Cli.RunAsync("ls", "--state", "running", "--json");
        return r.ExitCode == 0 && r.Json.GetProperty("jobs").EnumerateArray().Any(j => j.GetProperty("worker").GetString() == worker);
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
