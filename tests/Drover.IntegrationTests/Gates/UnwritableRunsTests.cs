using System.Net;
using System.Text;
using System.Text.Json;

namespace Drover.IntegrationTests.Gates;

/// <summary>A worker that cannot write its run files does not drain the queue: it requeues, degrades, alerts, recovers.</summary>
public sealed class UnwritableRunsTests
{
    [Fact]
    public async Task Worker_RunsReplacedByAFile_JobsStayQueuedUncountedDegradedOneAlertThenSucceedWhenRestored()
    {
        var ct = TestContext.Current.CancellationToken;
        using var t = new TestHome();
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "2", "--heartbeat", "1s", "--name", "tight-disk"]);
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        using var http = t.Http(url);

        // One job first, so the worker is past its start-up checks and claiming when the run files go.
        var first = await SubmitAsync(http, t.Scratch, "first");
        (await WaitForAsync(http, $"/api/jobs/{first}", j => j.GetProperty("state").GetString() is "succeeded" or "failed", TimeSpan.FromSeconds(60)))
            .GetProperty("state").GetString().ShouldBe("succeeded");

        // chmod 000 does not stop root; a regular file where the directory was stops everyone.
        var runs = Path.Combine(t.Home, "runs");
        Directory.Delete(runs, recursive: true);
        await File.WriteAllTextAsync(runs, "not a directory\n", ct);

        var ids = new List<long>();
        for (var i = 0; i < 6; i++)
            ids.Add(await SubmitAsync(http, t.Scratch, $"needs runs {i}"));

        try
        {
            var health = await WaitForAsync(http, "/healthz", h => h.GetProperty("status").GetString() == "degraded", TimeSpan.FromSeconds(30));
            var reason = health.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()!).ShouldHaveSingleItem();
            reason.ShouldStartWith("worker tight-disk on ");
            reason.ShouldContain("claims nothing: cannot write " + runs);

            // Several heartbeats later nothing has run and no attempt counted against the retry budget.
            await Task.Delay(TimeSpan.FromSeconds(3), ct);
            var claimed = 0;
            foreach (var id in ids)
            {
                var job = await GetAsync(http, $"/api/jobs/{id}");
                job.GetProperty("state").GetString().ShouldBe("queued", job.ToString());
                job.GetProperty("failures").GetInt32().ShouldBe(0, job.ToString());
                claimed += job.GetProperty("attempt").GetInt32() > 0 ? 1 : 0;
            }

            // The worker was claiming when the files went: it took jobs, failed to start them, and gave them back.
            claimed.ShouldBeGreaterThan(0);

            var why = (await GetAsync(http, $"/api/jobs/{ids[^1]}")).GetProperty("why").GetString()!;
            why.ShouldContain("no worker is claiming: tight-disk cannot write");
            var alerts = await WaitForAsync(http, "/api/alerts", a => a.GetProperty("alerts").GetArrayLength() > 0, TimeSpan.FromSeconds(30));
            var alert = alerts.GetProperty("alerts").EnumerateArray().ShouldHaveSingleItem();
            alert.GetProperty("kind").GetString().ShouldBe("worker_degraded");
            alert.GetProperty("message").GetString()!.ShouldStartWith("worker degraded: tight-disk on ");

            File.Delete(runs);
            Directory.CreateDirectory(runs);

            foreach (var id in ids)
            {
                var job = await WaitForAsync(http, $"/api/jobs/{id}", j => j.GetProperty("state").GetString() is "succeeded" or "failed", TimeSpan.FromSeconds(60));
                job.GetProperty("state").GetString().ShouldBe("succeeded", job.ToString());
                File.Exists(Path.Combine(t.Scratch, $"out-{id}.txt")).ShouldBeTrue();
            }

            (await WaitForAsync(http, "/healthz", h => h.GetProperty("status").GetString() == "ok", TimeSpan.FromSeconds(30)))
                .GetProperty("reasons").GetArrayLength().ShouldBe(0);
            (await GetAsync(http, "/api/alerts")).GetProperty("alerts").GetArrayLength().ShouldBe(1);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidOperationException(serve.Output, e);
        }
    }

    private static async Task<long> SubmitAsync(HttpClient http, string dir, string title)
    {
        var ct = TestContext.Current.CancellationToken;
        var body = JsonSerializer.Serialize(new
        {
            title,
            command = "echo ran > out-$DROVER_JOB_ID.txt",
            repo = dir,
            @lock = "none",
            retry = new { max_attempts = 1 },
        });
        using var r = await http.PostAsync(new Uri("/api/jobs", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"), ct);
        r.IsSuccessStatusCode.ShouldBeTrue(await r.Content.ReadAsStringAsync(ct));
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("job").GetProperty("id").GetInt64();
    }

    private static async Task<JsonElement> GetAsync(HttpClient http, string path)
    {
        using var r = await http.GetAsync(new Uri(path, UriKind.Relative), TestContext.Current.CancellationToken);
        r.StatusCode.ShouldBe(HttpStatusCode.OK);
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.Clone();
    }

    private static async Task<JsonElement> WaitForAsync(HttpClient http, string path, Func<JsonElement, bool> until, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            last = await GetAsync(http, path);
            if (until(last))
                return last;
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }

        throw new TimeoutException($"{path} never got there; last: {last}");
    }
}
