using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Drover.Storage.Postgres.Testing;

namespace Drover.IntegrationTests;

/// <summary>
/// Chaos on a shared PostgreSQL queue, as real processes: a <c>serve</c> and four <c>worker</c> processes drain a queue
/// of short shell jobs while, every ~2 s, a random worker is SIGKILLed and started again, and once PostgreSQL itself is
/// restarted. Every job must end succeeded, once, with its side effect recorded exactly once by the attempt that
/// succeeded. <c>DROVER_CHAOS_JOBS</c> sets the number of jobs (default 300, so CI stays quick; 2000 for the full run).
/// </summary>
public sealed class PostgresChaosTests(PostgresCluster pg) : IClassFixture<PostgresCluster>
{
    private static readonly string[] WorkerFlags = ["--slots", "4", "--lease-ttl", "3s", "--heartbeat", "1s", "--kill-grace", "1s"];

    [Fact]
    public async Task FourWorkers_RandomSigkillsAndADatabaseRestart_EveryJobSucceedsOnceWithOneSideEffect()
    {
        var jobs = int.TryParse(Environment.GetEnvironmentVariable("DROVER_CHAOS_JOBS"), out var n) && n > 0 ? n : 300;
        var ct = TestContext.Current.CancellationToken;
        using var t = new TestHome();
        t.Cli.Env["DROVER_STORE"] = pg.StoreUrl(await pg.NewDatabaseAsync());
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "0"]);
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        using var http = t.Http(url);

        // The side effect names the job and the attempt that wrote it; only the succeeded attempt's line counts.
        var ids = new List<long>(jobs);
        for (var i = 0; i < jobs; i++)
        {
            var body = JsonSerializer.Serialize(new
            {
                title = $"chaos {i}",
                command = "sleep 0.5; echo \"$DROVER_JOB_ID $DROVER_ATTEMPT\" >> side-effects.txt",
                repo = t.Scratch,
                @lock = "none",
                retry = new { max_attempts = 10, backoff = "1s" },
            });
            using var r = await http.PostAsync("/api/jobs", new StringContent(body, Encoding.UTF8, "application/json"), ct);
            r.IsSuccessStatusCode.ShouldBeTrue(await r.Content.ReadAsStringAsync(ct));
            ids.Add(JsonDocument.Parse(await r.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("job").GetProperty("id").GetInt64());
        }

        var workers = new BackgroundProcess[4];
        var retired = new List<BackgroundProcess>();
        for (var i = 0; i < workers.Length; i++)
            workers[i] = t.Cli.Start(["worker", "--name", $"w{i}", .. WorkerFlags]);
        var clock = Stopwatch.StartNew();
        var kills = 0;
        var restarted = false;
        var random = new Random(20261123);
        var deadline = TimeSpan.FromSeconds(90 + jobs / 2.0);
        long succeeded = 0;
        try
        {
            while (clock.Elapsed < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(1500 + random.Next(1000)), ct);
                succeeded = await SucceededAsync(http);
                if (succeeded == jobs)
                    break;
                var victim = random.Next(workers.Length);
                workers[victim].Signal(Native.SIGKILL);
                await workers[victim].WaitForExitAsync(TimeSpan.FromSeconds(10));
                retired.Add(workers[victim]);
                workers[victim] = t.Cli.Start(["worker", "--name", $"w{victim}", .. WorkerFlags]);
                kills++;
                if (!restarted && succeeded >= jobs * 2 / 5)
                {
                    await pg.RestartAsync();
                    restarted = true;
                }
            }

            // The chaos stops with the queue drained or the time up; let what is left finish undisturbed.
            var settle = Stopwatch.StartNew();
            while (succeeded < jobs && settle.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(500, ct);
                succeeded = await SucceededAsync(http);
            }

            var drained = clock.Elapsed;
            succeeded.ShouldBe(jobs, $"after {drained.TotalSeconds:0} s, {kills} kills\n{(await t.Cli.RunAsync("status")).Stdout}");
            restarted.ShouldBeTrue("the database restart happened during the run");

            // Every job: succeeded, one job.succeeded event, and its succeeded attempt's side effect exactly once.
            var lines = File.ReadAllLines(Path.Combine(t.Scratch, "side-effects.txt"))
                .Select(l => l.Split(' '))
                .GroupBy(l => (Job: l[0], Attempt: l[1]))
                .ToDictionary(g => g.Key, g => g.Count());
            var reruns = 0;
            foreach (var id in ids)
            {
                var job = JsonDocument.Parse(await http.GetStringAsync($"/api/jobs/{id}", ct)).RootElement;
                job.GetProperty("state").GetString().ShouldBe("succeeded");
                job.GetProperty("events").EnumerateArray().Count(e => e.GetProperty("type").GetString() == "job.succeeded").ShouldBe(1, $"job {id}");
                var attempt = job.GetProperty("attempt").GetInt32();
                lines.GetValueOrDefault((id.ToString(CultureInfo.InvariantCulture), attempt.ToString(CultureInfo.InvariantCulture))).ShouldBe(1, $"job {id} attempt {attempt}");
                reruns += attempt - 1;
            }

            kills.ShouldBeGreaterThan(0);
            TestContext.Current.SendDiagnosticMessage(
                $"chaos: {jobs} jobs drained in {drained.TotalSeconds:0.0} s with 4 workers, {kills} SIGKILLs, one PostgreSQL restart; {reruns} re-runs");
        }
        finally
        {
            foreach (var w in workers.Concat(retired))
                await w.DisposeAsync();
        }
    }

    private static async Task<long> SucceededAsync(HttpClient http)
    {
        try
        {
            var status = JsonDocument.Parse(await http.GetStringAsync("/api/status", TestContext.Current.CancellationToken)).RootElement;
            return status.GetProperty("counts").GetProperty("succeeded").GetInt64();
        }
        catch (HttpRequestException)
        {
            return -1; // serve briefly without its database (the restart): ask again next round
        }
    }
}
