using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Drover.Core.Configuration;
using Drover.Core.Jobs;
using Drover.Core.Storage;
using Drover.Server.Alerts;
using Drover.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.IntegrationTests.Alerts;

/// <summary>Alerts: which events raise what, delivery with retries that never holds up the fleet, and a real SIGKILL.</summary>
public sealed class AlertTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static EventRecord Event(string type, double atS, string? worker = null, long? job = null, string data = "{}") =>
        new(1, T0.AddSeconds(atS), type, job, worker, data);

    [Fact]
    public void Rules_EachEventKind_NamesItsSubjectAndReasonInTheFirstLine()
    {
        var rules = new AlertRules(new AlertsConfig());
        string? Host(string name) => name == "w1" ? "host-a" : null;

        rules.OnEvent(Event("worker.lost", 0, "w1", data: """{"timeout_s":15}"""), Host)!.Message
            .ShouldBe("worker lost: w1 on host-a — no heartbeat for 15 s; its running jobs were requeued");
        var dead = rules.OnEvent(Event("job.failed", 1, job: 42, data: """{"class":"timeout","reason":"ran past 10m\nmore","attempt":3}"""), Host)!;
        dead.Key.ShouldBe("job_dead:42");
        dead.Message.ShouldBe("job 42 failed after 3 attempts: timeout — ran past 10m");
        rules.OnEvent(Event("job.failed", 2, job: 43, data: """{"class":"dep_failed"}"""), Host).ShouldBeNull();
        rules.OnEvent(Event("job.retrying", 2, job: 44, data: """{"class":"timeout"}"""), Host).ShouldBeNull();
        var circuit = rules.OnEvent(Event("provider.circuit", 3, data: """{"provider":"openai","state":"open","reason":"HTTP 500"}"""), Host)!;
        circuit.Key.ShouldBe("provider_circuit_open:openai");
        circuit.Message.ShouldStartWith("provider circuit open: openai — HTTP 500");
        rules.OnEvent(Event("provider.circuit", 4, data: """{"provider":"openai","state":"closed"}"""), Host).ShouldBeNull();
        var budget = rules.OnEvent(Event("budget.alert", 5, data: """{"scope":"day","percent":80,"unit":"usd","spent":8.1,"limit":10}"""), Host)!;
        budget.Key.ShouldBe("budget:day:80");
        budget.Message.ShouldBe("budget day at 80%: $8.10 of $10.00");
        rules.OnEvent(Event("budget.exceeded", 6, job: 9, data: """{"scope":"day","reason":"$10.00 of $10.00 spent"}"""), Host)!.Key
            .ShouldBe("budget:day:100");
        rules.OnEvent(Event("engine.gated", 7, data: """{"engine":"claude","until":"2030-01-01T05:00:00Z","reason":"usage limit"}"""), Host)!.Message
            .ShouldBe("engine claude waiting on a usage limit until 2030-01-01T05:00:00Z — usage limit");
        rules.OnEvent(Event("job.claimed", 8, job: 1), Host).ShouldBeNull();
        rules.LastClaimAt.ShouldBe(T0.AddSeconds(8));
        rules.OnEvent(Event("worker.lost", 9, "w1", data: "not json"), Host)!.Subject.ShouldBe("w1");
        var approval = rules.OnEvent(Event("approval.requested", 10, job: 7, data: """{"id":12,"attempt":1,"tool":"Bash","pattern":"Bash(git push)"}"""), Host)!;
        approval.Key.ShouldBe("approval_pending:12");
        approval.Message.ShouldBe("job 7 waits for a person: tool call 12 Bash(git push) (drover approve-tool 12 allow|deny)");
    }

    [Fact]
    public void Rules_CrashLoop_FiveRestartsWithinTenMinutes_NotFourAndNotSpreadOut()
    {
        var rules = new AlertRules(new AlertsConfig());
        var raised = new List<AlertCandidate?>();
        for (var i = 0; i < 6; i++)
            raised.Add(rules.OnEvent(Event("worker.started", i * 100, "w1", data: """{"host":"h1"}"""), _ => null));

        raised.Take(5).ShouldAllBe(c => c == null);
        raised[5]!.Key.ShouldBe("worker_crash_loop:w1");
        raised[5]!.Message.ShouldBe("worker crash loop: w1 on h1 — 5 restarts in 10 min");

        var spread = new AlertRules(new AlertsConfig());
        for (var i = 0; i < 10; i++)
            spread.OnEvent(Event("worker.started", i * 200, "w2"), _ => null).ShouldBeNull();
    }

    private static JobRecord Queued(long id, double createdS) => new()
    {
        Id = id,
        Title = "t",
        State = JobState.Queued,
        Priority = 50,
        Engine = "shell",
        SpecJson = "{}",
        SpecHash = "h",
        CreatedAt = T0.AddSeconds(createdS),
        UpdatedAt = T0.AddSeconds(createdS),
        NextEligibleAt = T0.AddSeconds(createdS),
    };

    private static Drover.Server.Jobs.WorkerView Worker(string name, string state, int running) =>
        new(name, "h", 1, state, 2, [.. Enumerable.Range(1, running).Select(i => (long)i)], [], T0, T0.AddSeconds(3595), 5);

    private static Drover.Server.Jobs.StatusView Status(bool paused, long running, params Drover.Server.Jobs.WorkerView[] workers) =>
        new(workers, new Dictionary<string, long> { ["queued"] = 3, ["running"] = running }, paused, [], []);

    [Fact]
    public void Rules_QueueStalled_OnlyWhenAReadyJobWaitedWhileAWorkerSatIdle()
    {
        var rules = new AlertRules(new AlertsConfig { StallAfter = TimeSpan.FromMinutes(15) });
        var now = T0.AddHours(1);
        var lastClaim = T0;
        (JobRecord, string?)[] ready = [(Queued(7, 0), "ready: waiting for a free worker slot")];
        var idle = Worker("w1", "idle", 0);

        var stalled = rules.Stalled(Status(false, 0, idle), ready, 0, lastClaim, now)!;
        stalled.Key.ShouldBe("queue_stalled:fleet");
        stalled.Message.ShouldBe("queue stalled: 3 jobs queued (job 7 ready), none started for 60 min while w1 is idle");

        rules.Stalled(Status(true, 0, idle), ready, 0, lastClaim, now).ShouldBeNull(); // paused
        rules.Stalled(Status(false, 0, idle), ready, 0, now.AddMinutes(-5), now).ShouldBeNull(); // a claim 5 min ago
        rules.Stalled(Status(false, 1, Worker("w1", "busy", 1)), ready, 0, lastClaim, now).ShouldBeNull(); // no idle worker
        rules.Stalled(Status(false, 1, idle), ready, 1, lastClaim, now).ShouldBeNull(); // at max_running
        rules.Stalled(Status(false, 0, Worker("w1", "lost", 0)), ready, 0, lastClaim, now).ShouldBeNull();
        rules.Stalled(Status(false, 0, idle), [(Queued(8, 0), "waiting on deps: #7 (queued)")], 0, lastClaim, now).ShouldBeNull();
        rules.Stalled(Status(false, 0, idle), [(Queued(9, 3000), "ready: waiting for a free worker slot")], 0, lastClaim, now).ShouldBeNull(); // queued 10 min ago
    }

    [Fact]
    public async Task Dispatcher_RetriesA500Sink_WhileAHangingSinkCostsOnlyItsTimeout_AndRecordsWhatEachSaid()
    {
        await using var flaky = await AlertReceiver.StartAsync();
        await using var hanging = await AlertReceiver.StartAsync();
        flaky.FailFirst = 2;
        hanging.Mode = SinkMode.Hang;
        var dir = Directory.CreateTempSubdirectory("drover-alerts-");
        try
        {
            await using var store = await SqliteJobStore.OpenAsync(Path.Combine(dir.FullName, "drover.db"), Ct);
            var config = new AlertsConfig
            {
                Retries = 3,
                Sinks =
                [
                    new AlertSinkConfig { Kind = "webhook", Url = flaky.Url },
                    new AlertSinkConfig { Kind = "slack", UrlEnv = "DROVER_TEST_UNSET_SLACK_URL" },
                    new AlertSinkConfig { Kind = "ntfy", Url = hanging.Url, Timeout = TimeSpan.FromSeconds(1) },
                ],
            };
            using var dispatcher = new AlertDispatcher(config, s => (s.Url, null), store, TimeProvider.System, NullLogger.Instance);
            dispatcher.SinkCount.ShouldBe(2); // the slack sink has no URL: skipped, said so in the log
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var run = dispatcher.RunAsync(stop.Token);
            var raised = await store.AlertRaiseAsync(
                new AlertRaiseParams("worker_lost:w1", "worker_lost", "w1", "worker lost: w1 on h — no heartbeat for 15 s", """{"worker":"w1"}""",
                    TimeSpan.FromMinutes(30), DateTimeOffset.UtcNow),
                Ct);

            var clock = Stopwatch.StartNew();
            dispatcher.Enqueue(raised.Alert);
            clock.ElapsedMilliseconds.ShouldBeLessThan(100);

            AlertRecord? stored = null;
            while (clock.Elapsed < TimeSpan.FromSeconds(30) && stored?.Delivery is null)
            {
                await Task.Delay(100, Ct);
                stored = (await store.AlertListAsync(new AlertListParams(), Ct)).Single();
            }

            stored!.Delivery.ShouldBe("webhook: delivered (3 tries); ntfy: failed, timed out (3 tries)");
            flaky.Requests.ShouldBe(3);
            hanging.Requests.ShouldBeGreaterThanOrEqualTo(2); // the client counted 3 tries; a cancelled one may not reach the handler
            using var body = JsonDocument.Parse(flaky.Received.Last().Body);
            body.RootElement.GetProperty("message").GetString().ShouldBe("worker lost: w1 on h — no heartbeat for 15 s");
            body.RootElement.GetProperty("key").GetString().ShouldBe("worker_lost:w1");
            body.RootElement.GetProperty("data").GetProperty("worker").GetString().ShouldBe("w1");
            hanging.Received.First().Body.ShouldBe("worker lost: w1 on h — no heartbeat for 15 s");
            hanging.Received.First().Headers["Title"].ToString().ShouldBe("Drover: worker lost");
            await stop.CancelAsync();
            await run;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task SigkilledWorker_OneWebhookNamingIt_WithinTheCooldown_AHangingSinkDoesNotDelayJobs()
    {
        using var t = new TestHome();
        await using var hook = await AlertReceiver.StartAsync();
        await using var hanging = await AlertReceiver.StartAsync();
        hanging.Mode = SinkMode.Hang;
        await File.WriteAllTextAsync(Path.Combine(t.Home, "drover.toml"), $"""
            [alerts]
            cooldown = "30m"

            [[alerts.sinks]]
            kind = "webhook"
            url = "{hook.Url}"

            [[alerts.sinks]]
            kind = "discord"
            url = "{hanging.Url}"
            timeout = "30s"
            """, Ct);
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "1", "--heartbeat", "1s", "--lease-ttl", "3s"]);
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        var worker = t.Cli.Start(["worker", "--name", "night-shift", "--slots", "1", "--heartbeat", "1s"]);
        try
        {
            await WaitForWorkerAsync(t, "night-shift");
            worker.Signal(Native.SIGKILL);
            await worker.WaitForExitAsync(TimeSpan.FromSeconds(10));
            await WaitAsync(() => Task.FromResult(hook.Requests > 0), TimeSpan.FromSeconds(30));
            hook.Requests.ShouldBe(1, serve.Output + (await t.Cli.RunAsync("alerts", "--all", "--json")).Stdout);
            using (var body = JsonDocument.Parse(hook.Received.Single().Body))
            {
                body.RootElement.GetProperty("kind").GetString().ShouldBe("worker_lost");
                body.RootElement.GetProperty("message").GetString()!.ShouldStartWith("worker lost: night-shift on ");
            }

            // The discord sink hangs (30 s per try): a job still runs at once.
            var clock = Stopwatch.StartNew();
            var job = await t.Cli.RunInAsync(t.Scratch, "submit", "--command", "echo fine", "--wait", "--json");
            job.ExitCode.ShouldBe(0, job.ToString());
            job.Json.GetProperty("state").GetString().ShouldBe("succeeded");
            clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(20));

            // Lost again within the cooldown: folded into the same alert, no second webhook.
            await worker.DisposeAsync();
            worker = t.Cli.Start(["worker", "--name", "night-shift", "--slots", "1", "--heartbeat", "1s"]);
            await WaitForWorkerAsync(t, "night-shift");
            worker.Signal(Native.SIGKILL);
            await worker.WaitForExitAsync(TimeSpan.FromSeconds(10));
            await WaitAsync(async () => (await t.Cli.RunAsync("alerts", "--json")).Json.GetProperty("alerts")[0].GetProperty("count").GetInt32() == 2, TimeSpan.FromSeconds(30));
            await Task.Delay(1000, Ct);
            hook.Requests.ShouldBe(1);

            var alerts = (await t.Cli.RunAsync("alerts", "--json")).Json.GetProperty("alerts");
            alerts.GetArrayLength().ShouldBe(1);
            var id = alerts[0].GetProperty("id").GetInt64();
            alerts[0].GetProperty("key").GetString().ShouldBe("worker_lost:night-shift");
            var text = await t.Cli.RunAsync("alerts");
            text.Stdout.ShouldContain("worker lost: night-shift");
            (await t.Cli.RunAsync("alerts", "ack", id.ToString(System.Globalization.CultureInfo.InvariantCulture))).ExitCode.ShouldBe(0);
            (await t.Cli.RunAsync("alerts", "--json")).Json.GetProperty("alerts").GetArrayLength().ShouldBe(0);
            (await t.Cli.RunAsync("alerts", "ack", "9999")).ExitCode.ShouldNotBe(0);

            using var anon = t.Http(url, withToken: false);
            using var refused = await anon.GetAsync(new Uri("/api/alerts", UriKind.Relative), Ct);
            refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            using var authed = t.Http(url);
            using var all = await authed.GetAsync(new Uri("/api/alerts?all=1", UriKind.Relative), Ct);
            (await all.Content.ReadAsStringAsync(Ct)).ShouldContain("\"acked_at\":\"");
            serve.Output.ShouldNotContain(hook.Url);
            serve.Output.ShouldNotContain(hanging.Url);
        }
        finally
        {
            await worker.DisposeAsync();
        }
    }

    [Fact]
    public async Task AlertRaisedByAServerThatDiedBeforeDelivering_IsDeliveredByTheNextServe_Once()
    {
        using var t = new TestHome();
        await using var hook = await AlertReceiver.StartAsync();
        await File.WriteAllTextAsync(Path.Combine(t.Home, "drover.toml"), $"""
            [[alerts.sinks]]
            kind = "webhook"
            url = "{hook.Url}"
            """, Ct);
        await using (var store = await SqliteJobStore.OpenAsync(Path.Combine(t.Home, "drover.db"), Ct))
        {
            // What a server leaves when killed right after raising: the alert, no delivery. Ten minutes ago (past the
            // longest delivery it could still have been making); and one acknowledged meanwhile, which stays quiet.
            var ago = DateTimeOffset.UtcNow.AddMinutes(-10);
            await store.AlertRaiseAsync(new AlertRaiseParams("worker_lost:w7", "worker_lost", "w7", "worker lost: w7 on h7", "{}", TimeSpan.FromMinutes(30), ago), Ct);
            var acked = await store.AlertRaiseAsync(new AlertRaiseParams("worker_lost:w8", "worker_lost", "w8", "worker lost: w8 on h8", "{}", TimeSpan.FromMinutes(30), ago), Ct);
            await store.AlertAckAsync(new AlertAckParams(acked.Alert.Id, ago.AddMinutes(1)), Ct);
        }

        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "0"]);
        await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        await WaitAsync(() => Task.FromResult(hook.Requests > 0), TimeSpan.FromSeconds(30));
        await WaitAsync(async () => (await t.Cli.RunAsync("alerts", "--json")).Json.GetProperty("alerts")[0].GetProperty("delivery").GetString()!.StartsWith("webhook", StringComparison.Ordinal), TimeSpan.FromSeconds(10));

        hook.Requests.ShouldBe(1, serve.Output);
        hook.Received.Single().Body.ShouldContain("worker lost: w7 on h7");
        var alert = (await t.Cli.RunAsync("alerts", "--json")).Json.GetProperty("alerts")[0];
        alert.GetProperty("delivery").GetString().ShouldBe("webhook: delivered (1 try)");
        serve.Output.ShouldContain("was never delivered");
    }

    private static Task WaitForWorkerAsync(TestHome t, string name) =>
        WaitAsync(
            async () => (await t.Cli.RunAsync("workers", "--json")).Json.GetProperty("workers").EnumerateArray()
                .Any(w => w.GetProperty("name").GetString() == name && w.GetProperty("state").GetString() is "idle" or "busy"),
            TimeSpan.FromSeconds(30));

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !await condition())
            await Task.Delay(250, TestContext.Current.CancellationToken);
    }
}
