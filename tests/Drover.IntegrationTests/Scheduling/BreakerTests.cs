using System.Net.Http.Json;
using System.Text.Json;
using Drover.Core.Configuration;
using Drover.Core.Jobs;
using Drover.Server.Alerts;

namespace Drover.IntegrationTests.Scheduling;

/// <summary>The failure-rate breaker against a real serve, worker and engine process that always fails to log in.</summary>
public sealed class BreakerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Serve_EngineAlwaysFailsAuth_BreakerStopsItAfterFourAttempts_OneAlert_NoJobFailsOrLosesARetry()
    {
        using var t = new TestHome();
        // A custom engine read as claude: its stderr line is what claude prints without a login (class auth).
        await File.WriteAllTextAsync(Path.Combine(t.Home, "drover.toml"), """
            [engines.broken]
            command = ["sh", "-c", "echo 'Invalid API key · Please run /login' >&2; exit 1"]
            usage = "claude"
            """, Ct);
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "2"]);
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        using var http = t.Http(url);
        (await t.Cli.RunAsync("pause")).ExitCode.ShouldBe(0);
        for (var i = 0; i < 50; i++)
        {
            using var body = JsonContent.Create(new { prompt = $"task {i}", engine = "broken", repo = t.Scratch, retry = new { max_attempts = 1 } });
            using var created = await http.PostAsync(new Uri("/api/jobs", UriKind.Relative), body, Ct);
            created.IsSuccessStatusCode.ShouldBeTrue(await created.Content.ReadAsStringAsync(Ct));
        }

        (await t.Cli.RunAsync("resume")).ExitCode.ShouldBe(0);
        await WaitAsync(async () => Gates(await t.Cli.RunAsync("status", "--json")).Any(g => g.Contains("failure-rate breaker", StringComparison.Ordinal)), TimeSpan.FromSeconds(60));
        await WaitAsync(async () => Alerts(await t.Cli.RunAsync("alerts", "--json"), "engine_breaker").Count > 0, TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(3), Ct); // long enough for any further claim to have happened
        (await t.Cli.RunAsync("pause")).ExitCode.ShouldBe(0);

        var jobs = (await t.Cli.RunAsync("ls", "--limit", "100", "--json")).Json.GetProperty("jobs").EnumerateArray().ToList();
        var queued = jobs.Where(j => j.GetProperty("state").GetString() == "queued").ToList();
        var attempts = jobs.Sum(j => j.GetProperty("attempt").GetInt32());
        var allAlerts = (await t.Cli.RunAsync("alerts", "--json")).Json.GetProperty("alerts").EnumerateArray().ToList();
        var why = (await t.Cli.RunAsync("show", queued[0].GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture), "--json"))
            .Json.GetProperty("why").GetString();

        jobs.Count.ShouldBe(50);
        attempts.ShouldBeLessThanOrEqualTo(5, serve.Output);
        // The final failures before the trip were held, then given back by it: nothing failed, nobody lost a retry.
        queued.Count.ShouldBe(50, "no job failed: " + string.Join(", ", jobs.Select(j => j.GetProperty("state").GetString())));
        queued.ShouldAllBe(j => j.GetProperty("failures").GetInt32() == 0, "no job spent a retry on the outage");
        var alert = allAlerts.ShouldHaveSingleItem("the breaker's alert, and no job_dead");
        alert.GetProperty("kind").GetString().ShouldBe("engine_breaker");
        alert.GetProperty("message").GetString().ShouldNotBeNull().ShouldStartWith("engine broken stopped by the failure-rate breaker until ");
        alert.GetProperty("message").GetString().ShouldNotBeNull().ShouldContain("last failure auth: ");
        why.ShouldNotBeNull().ShouldContain("engine broken stopped by the failure-rate breaker until ");
        why.ShouldContain("(drover resume --engine broken)");

        var resumed = await t.Cli.RunAsync("resume", "--engine", "broken");
        var gates = Gates(await t.Cli.RunAsync("status", "--json"));
        var again = await t.Cli.RunAsync("resume", "--engine", "broken");

        resumed.Stdout.Trim().ShouldBe("engine broken resumed", resumed.ToString());
        gates.ShouldNotContain(g => g.Contains("breaker", StringComparison.Ordinal));
        again.Stdout.Trim().ShouldBe("engine broken was not stopped (no breaker or gate held it)");
    }

    [Fact]
    public async Task Serve_FinalAuthFailureWhileAnotherJobOfTheEngineWaits_IsHeld_WhySaysSo_CancelEndsIt()
    {
        using var t = new TestHome();
        await File.WriteAllTextAsync(Path.Combine(t.Home, "drover.toml"), """
            [engines.broken]
            command = ["sh", "-c", "echo 'Invalid API key · Please run /login' >&2; exit 1"]
            usage = "claude"
            """, Ct);
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "1"]);
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        using var http = t.Http(url);
        var ids = new List<long>();
        // The second waits for a capability no worker has: queued, it could still show whether the engine works.
        foreach (var caps in new[] { Array.Empty<string>(), ["gpu"] })
        {
            using var body = JsonContent.Create(new { prompt = "task", engine = "broken", repo = t.Scratch, capabilities = caps, retry = new { max_attempts = 1 } });
            using var created = await http.PostAsync(new Uri("/api/jobs", UriKind.Relative), body, Ct);
            created.IsSuccessStatusCode.ShouldBeTrue(await created.Content.ReadAsStringAsync(Ct));
            ids.Add(JsonDocument.Parse(await created.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("job").GetProperty("id").GetInt64());
        }

        var id = ids[0].ToString(System.Globalization.CultureInfo.InvariantCulture);
        var held = await t.WaitForJobAsync(ids[0], j => j.TryGetProperty("class", out var c) && c.ValueKind == JsonValueKind.String, TimeSpan.FromSeconds(60));
        var alerts = (await t.Cli.RunAsync("alerts", "--json")).Json.GetProperty("alerts").GetArrayLength();
        var cancel = await t.Cli.RunAsync("cancel", id);
        var cancelled = (await t.Cli.RunAsync("show", id, "--json")).Json;

        (held.GetProperty("state").GetString(), held.GetProperty("class").GetString()).ShouldBe(("queued", "auth"));
        held.GetProperty("why").GetString().ShouldNotBeNull().ShouldStartWith("held: its last attempt failed auth; waiting to learn whether engine broken is broken");
        held.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ShouldContain("job.verdict_held");
        alerts.ShouldBe(0, "a held job is not dead");
        cancel.ExitCode.ShouldBe(0, cancel.ToString());
        cancelled.GetProperty("state").GetString().ShouldBe("cancelled");
    }

    [Fact]
    public async Task Serve_MaxRunningOne_SecondJobWaits_WhyAndStatusSayTheFleetIsAtItsCap()
    {
        using var t = new TestHome();
        await File.WriteAllTextAsync(Path.Combine(t.Home, "drover.toml"), "[fleet]\nmax_running = 1\n", Ct);
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "2"]);
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        using var http = t.Http(url);
        var ids = new List<long>();
        for (var i = 0; i < 2; i++)
        {
            using var body = JsonContent.Create(new { title = $"sleeper {i}", engine = "shell", command = "sleep 30", repo = t.Scratch, @lock = "none" });
            using var created = await http.PostAsync(new Uri("/api/jobs", UriKind.Relative), body, Ct);
            created.IsSuccessStatusCode.ShouldBeTrue(await created.Content.ReadAsStringAsync(Ct));
            ids.Add(JsonDocument.Parse(await created.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("job").GetProperty("id").GetInt64());
        }

        await WaitAsync(async () => (await t.Cli.RunAsync("status", "--json")).Json.GetProperty("counts").GetProperty("running").GetInt64() == 1, TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(2), Ct); // two free slots: without the cap the second would start now
        var status = await t.Cli.RunAsync("status", "--json");
        var shown = new List<JsonElement>();
        foreach (var id in ids)
            shown.Add((await t.Cli.RunAsync("show", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json")).Json);
        foreach (var id in ids)
            await t.Cli.RunAsync("cancel", id.ToString(System.Globalization.CultureInfo.InvariantCulture));

        status.Json.GetProperty("counts").GetProperty("running").GetInt64().ShouldBe(1);
        Gates(status).ShouldContain("fleet at max_running (1)");
        var waiting = shown.Single(j => j.GetProperty("state").GetString() == "queued");
        waiting.GetProperty("why").GetString().ShouldNotBeNull().ShouldContain("fleet at max_running (1)");
    }

    [Fact]
    public void Rules_BreakerOpened_OneAlertNamingTheEngineAndTheLastFailure()
    {
        var rules = new AlertRules(new AlertsConfig());
        var e = new EventRecord(
            1, DateTimeOffset.UnixEpoch, "engine.breaker_opened", null, null,
            """{"engine":"claude","until":"2030-01-01T00:01:00Z","reason":"auth: Invalid API key\nmore","trips":1}""");

        var alert = rules.OnEvent(e, _ => null).ShouldNotBeNull();

        (alert.Kind, alert.Key).ShouldBe(("engine_breaker", "engine_breaker:claude"));
        alert.Message.ShouldBe(
            "engine claude stopped by the failure-rate breaker until 2030-01-01T00:01:00Z — last failure auth: Invalid API key; " +
            "its queued jobs wait (drover resume --engine claude)");
    }

    private static List<string> Gates(CliResult status) =>
        [.. status.Json.GetProperty("gates").EnumerateArray().Select(g => g.GetString()!)];

    private static List<JsonElement> Alerts(CliResult alerts, string kind) =>
        [.. alerts.Json.GetProperty("alerts").EnumerateArray().Where(a => a.GetProperty("kind").GetString() == kind)];

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("condition not met in " + timeout);
            await Task.Delay(250, Ct);
        }
    }
}
