using System.Net;

namespace Drover.IntegrationTests;

public sealed class CliTests
{
    [Fact]
    public async Task Migrate_StatusShowsPending_UpAppliesThem_ThenNothingIsPending()
    {
        using var t = new TestHome();
        var store = "sqlite:" + Path.Combine(t.Root, "fresh.db");

        var before = await t.Cli.RunAsync("migrate", "status", "--store", store, "--json");
        before.ExitCode.ShouldBe(0, before.ToString());
        var known = before.Json.GetProperty("known").EnumerateArray().Select(v => v.GetInt64()).ToList();
        known.Count.ShouldBeGreaterThanOrEqualTo(5);
        before.Json.GetProperty("applied").GetArrayLength().ShouldBe(0, "status changes nothing");
        before.Json.GetProperty("pending").GetArrayLength().ShouldBe(known.Count);

        var up = await t.Cli.RunAsync("migrate", "up", "--store", store, "--json");
        up.Json.GetProperty("applied_now").EnumerateArray().Select(v => v.GetInt64()).ShouldBe(known);
        var after = await t.Cli.RunAsync("migrate", "status", "--store", store);
        after.Stdout.ShouldContain("pending  none");
    }

    [Fact]
    public async Task SubmitWait_ShellEcho_PrintsSucceededJobAsJson()
    {
        using var t = new TestHome();
        var r = await t.Cli.RunInAsync(t.Scratch, "submit", "say hi", "--engine", "shell", "--command", "echo hi", "--wait", "--json");

        r.ExitCode.ShouldBe(0, r.ToString());
        var job = r.Json;
        job.GetProperty("state").GetString().ShouldBe("succeeded");
        job.GetProperty("attempts")[0].GetProperty("exit_code").GetInt32().ShouldBe(0);
        File.ReadAllText(Path.Combine(t.Home, "runs", job.GetProperty("id").GetInt64().ToString(), "1", "log")).ShouldContain("hi");
    }

    [Fact]
    public async Task Gc_DeletesFinishedJobsPastTheRetention_WithTheirRunFiles_KeepsTheRest()
    {
        using var t = new TestHome();
        var done = await t.Cli.RunInAsync(t.Scratch, "submit", "--command", "echo old", "--wait", "--json");
        done.ExitCode.ShouldBe(0, done.ToString());
        var oldId = done.Json.GetProperty("id").GetInt64();
        var runs = Path.Combine(t.Home, "runs", oldId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.Exists(runs).ShouldBeTrue();

        var bad = await t.Cli.RunAsync("gc", "--older-than", "soon");
        bad.ExitCode.ShouldNotBe(0);
        bad.Stderr.ShouldContain("--older-than");
        var keep = await t.Cli.RunAsync("gc", "--json");
        keep.Json.GetProperty("jobs_deleted").GetInt64().ShouldBe(0, "the default retention is 30 days");

        await Task.Delay(50, TestContext.Current.CancellationToken);
        var queued = await t.Cli.RunInAsync(t.Scratch, "submit", "--command", "true", "--json");
        var gc = await t.Cli.RunAsync("gc", "--older-than", "10ms", "--json");

        gc.ExitCode.ShouldBe(0, gc.ToString());
        gc.Json.GetProperty("jobs_deleted").GetInt64().ShouldBe(1);
        Directory.Exists(runs).ShouldBeFalse();
        (await t.Cli.RunAsync("show", oldId.ToString(System.Globalization.CultureInfo.InvariantCulture))).ExitCode.ShouldNotBe(0);
        var left = await t.Cli.RunAsync("show", queued.Json.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");
        left.Json.GetProperty("state").GetString().ShouldBe("queued");
    }

    [Fact]
    public async Task ServeDemo_EveryDemoJobReachesTheStateItExpects()
    {
        using var t = new TestHome();
        await using var serve = t.Cli.Start("serve", "--demo", "--port", "0", "--home", t.Home);
        await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        var pending = "";
        while (DateTime.UtcNow < deadline)
        {
            var r = await t.Cli.RunAsync("ls", "--json", "--label", "demo=true", "--home", t.Home);
            r.ExitCode.ShouldBe(0, r.ToString());
            var jobs = r.Json.GetProperty("jobs").EnumerateArray().ToList();
            var off = jobs
                .Where(j => j.GetProperty("state").GetString() != j.GetProperty("labels").GetProperty("expect").GetString())
                .Select(j => $"{j.GetProperty("id")}:{j.GetProperty("state")}≠{j.GetProperty("labels").GetProperty("expect")}")
                .ToList();
            if (jobs.Count >= 8 && off.Count == 0)
            {
                await AnswerDemoQuestionAsync(t, jobs);
                return;
            }

            pending = $"{jobs.Count} jobs; off: {string.Join(", ", off)}";
            await Task.Delay(500, TestContext.Current.CancellationToken);
        }

        Assert.Fail("demo jobs did not reach their expected states: " + pending + "\n" + serve.Output);
    }

    /// <summary>The answer the demo suggests satisfies its question job: it succeeds, asked once, no failure counted.</summary>
    private static async Task AnswerDemoQuestionAsync(TestHome t, List<System.Text.Json.JsonElement> jobs)
    {
        var id = jobs.Single(j => j.GetProperty("labels").GetProperty("expect").GetString() == "blocked").GetProperty("id").GetInt64()
            .ToString(System.Globalization.CultureInfo.InvariantCulture);
        var answered = await t.Cli.RunAsync("answer", id, "postgres", "--home", t.Home);
        answered.ExitCode.ShouldBe(0, answered.ToString());
        var job = await t.WaitForJobAsync(long.Parse(id, System.Globalization.CultureInfo.InvariantCulture), j => j.GetProperty("state").GetString() is "succeeded" or "failed", TimeSpan.FromSeconds(60));
        job.GetProperty("state").GetString().ShouldBe("succeeded", job.ToString());
        job.GetProperty("attempt").GetInt32().ShouldBe(2);
        job.GetProperty("failures").GetInt32().ShouldBe(0);
        var show = await t.Cli.RunAsync("show", id, "--home", t.Home);
        show.Stdout.ShouldContain("2 started, 0 failed of 3 allowed");
    }

    [Fact]
    public async Task Serve_JobForAnEngineNoWorkerHas_WaitsWithAWhyThenFailsNoEngine()
    {
        using var t = new TestHome();
        // A configured custom engine whose program no host has: known at submit, runnable nowhere.
        File.WriteAllText(Path.Combine(t.Home, "drover.toml"), "[fleet]\nno_engine_after = \"3s\"\n[engines.nosuchagent]\ncommand = [\"nosuchagent-bin\", \"{prompt_file}\"]\n");
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "1", "--lease-ttl", "2s", "--heartbeat", "1s"]);
        await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));

        var r = await t.Cli.RunInAsync(t.Scratch, "submit", "needs a tool nobody has", "--engine", "nosuchagent", "--json");
        r.ExitCode.ShouldBe(0, r.ToString());
        var id = r.Json.GetProperty("id").GetInt64();
        var waiting = (await t.Cli.RunAsync("show", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json")).Json;
        waiting.GetProperty("why").GetString().ShouldNotBeNull().ShouldContain("nosuchagent");

        var job = await t.WaitForJobAsync(id, j => j.GetProperty("state").GetString() == "failed", TimeSpan.FromSeconds(60));
        job.GetProperty("class").GetString().ShouldBe("no_engine");
        job.GetProperty("reason").GetString().ShouldBe("no live worker has engine nosuchagent (waited 3s)");
        job.GetProperty("attempts").GetArrayLength().ShouldBe(0, "nothing ever ran");
    }

    [Fact]
    public async Task Secrets_StoredOwnerOnly_ReachTheJobAsEnv_AndAreMaskedInItsLogAndSummary()
    {
        using var t = new TestHome();
        const string value = "sk-live-0123456789abcdefXYZ";
        (await t.Cli.RunAsync("secret", "set", "API_TOKEN", value)).ExitCode.ShouldBe(0);
        (await t.Cli.RunAsync("secret", "set", "bad-name", "x")).ExitCode.ShouldBe(2);
        var tooShort = await t.Cli.RunAsync("secret", "set", "PIN", "1234");
        tooShort.ExitCode.ShouldBe(2, tooShort.ToString());
        tooShort.Stderr.ShouldContain("shorter than 8 characters");
        var list = await t.Cli.RunAsync("secret", "list", "--json");
        list.Stdout.ShouldNotContain(value);
        list.Json.GetProperty("secrets")[0].GetProperty("masked").GetString().ShouldBe("sk-…fXYZ");
        File.GetUnixFileMode(Path.Combine(t.Home, "secrets")).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var spec = Path.Combine(t.Scratch, "job.json");
        File.WriteAllText(spec, """{"command": "test ${#API_TOKEN} -eq 27 && echo token is $API_TOKEN", "secrets": ["API_TOKEN"]}""");
        var r = await t.Cli.RunInAsync(t.Scratch, "submit", "--file", spec, "--wait", "--json");

        r.ExitCode.ShouldBe(0, r.ToString());
        r.Stdout.ShouldNotContain(value);
        r.Json.GetProperty("summary").GetString().ShouldBe("token is [secret API_TOKEN]");
        var id = r.Json.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
        File.ReadAllText(Path.Combine(t.Home, "runs", id, "1", "log")).ShouldNotContain(value);

        File.WriteAllText(spec, """{"command": "true", "secrets": ["NOT_SET"]}""");
        var missing = await t.Cli.RunInAsync(t.Scratch, "submit", "--file", spec, "--max-attempts", "1", "--wait", "--json");
        missing.ExitCode.ShouldBe(1, missing.ToString());
        missing.Json.GetProperty("class").GetString().ShouldBe("dependency_missing");
        missing.Json.GetProperty("reason").GetString().ShouldBe("not in the secret store: NOT_SET (drover secret set NAME)");
    }

    [Fact]
    public async Task SubmitWait_FailingCommand_ExitsOneWithCrashClass()
    {
        using var t = new TestHome();
        var r = await t.Cli.RunInAsync(t.Scratch, "submit", "--command", "exit 7", "--max-attempts", "1", "--wait", "--json");

        r.ExitCode.ShouldBe(1, r.ToString());
        r.Json.GetProperty("state").GetString().ShouldBe("failed");
        r.Json.GetProperty("class").GetString().ShouldBe("crash");
    }

    [Fact]
    public async Task Show_UnknownJob_ExitsThree()
    {
        using var t = new TestHome();
        (await t.Cli.RunAsync("init")).ExitCode.ShouldBe(0);
        var r = await t.Cli.RunAsync("show", "999", "--json");
        r.ExitCode.ShouldBe(3, r.ToString());
        r.Json.GetProperty("error").GetString()!.ShouldContain("999");
    }

    [Fact]
    public async Task Url_NothingListening_ExitsFour()
    {
        using var t = new TestHome();
        var r = await t.Cli.RunAsync("status", "--url", "http://127.0.0.1:9", "--json");
        r.ExitCode.ShouldBe(4, r.ToString());
    }

    [Fact]
    public async Task Token_IsCreatedOwnerOnly()
    {
        using var t = new TestHome();
        var r = await t.Cli.RunAsync("token");
        r.ExitCode.ShouldBe(0, r.ToString());
        File.GetUnixFileMode(Path.Combine(t.Home, "token")).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}

public sealed class ServerTests
{
    [Fact]
    public async Task Serve_EveryRouteButHealthz_RequiresTheBearerToken()
    {
        using var t = new TestHome();
        await using var serve = t.Cli.Start("serve", "--port", "0", "--slots", "0");
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        new Uri(url).Host.ShouldBe("127.0.0.1");

        using var anon = t.Http(url, withToken: false);
        (await anon.GetAsync(new Uri("/healthz", UriKind.Relative), TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);
        foreach (var path in new[] { "/api/status", "/api/jobs", "/api/jobs/1", "/api/workers", "/api/events", "/metrics" })
            (await anon.GetAsync(new Uri(path, UriKind.Relative), TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, path);
        (await anon.PostAsync(new Uri("/api/fleet/pause", UriKind.Relative), null, TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        using var authed = t.Http(url);
        (await authed.GetAsync(new Uri("/api/status", UriKind.Relative), TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var metrics = await authed.GetStringAsync(new Uri("/metrics", UriKind.Relative), TestContext.Current.CancellationToken);
        metrics.ShouldContain("drover_jobs{state=\"queued\"}");
        File.GetUnixFileMode(Path.Combine(t.Home, "token")).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    [Fact]
    public async Task Serve_SecondServeOnSameHome_ExitsWithClearMessage()
    {
        using var t = new TestHome();
        await using var first = t.Cli.Start("serve", "--port", "0", "--slots", "0");
        await t.WaitForServerAsync(first, TimeSpan.FromSeconds(60));

        var second = await t.Cli.RunAsync("serve", "--port", "0", "--slots", "0");

        second.ExitCode.ShouldBe(2, second.ToString());
        second.Stderr.ShouldContain("already running");
        first.Process.HasExited.ShouldBeFalse();
    }

    [Fact]
    public async Task Serve_SubmitThroughCli_RunsOnLocalSlotsAndStreamsEvents()
    {
        using var t = new TestHome();
        await using var serve = t.Cli.Start("serve", "--port", "0", "--slots", "2");
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));

        var r = await t.Cli.RunInAsync(t.Scratch, "submit", "--command", "echo DROVER_PROGRESS half way; echo done", "--wait", "--json");
        r.ExitCode.ShouldBe(0, r.ToString());
        var id = r.Json.GetProperty("id").GetInt64();

        using var http = t.Http(url);
        using var req = new HttpRequestMessage(HttpMethod.Get, "/api/events/stream");
        req.Headers.Add("Last-Event-ID", "0");
        using var resp = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        using var reader = new StreamReader(await resp.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
        var seen = new List<string>();
        while (!seen.Contains("job.succeeded"))
        {
            var line = await reader.ReadLineAsync(TestContext.Current.CancellationToken);
            if (line is null)
                break;
            if (line.StartsWith("event: ", StringComparison.Ordinal))
                seen.Add(line["event: ".Length..]);
        }

        seen.ShouldContain("job.submitted");
        seen.ShouldContain("job.claimed");
        seen.ShouldContain("job.progress");
        seen.ShouldContain("job.succeeded");
        var log = await http.GetStringAsync(new Uri($"/api/jobs/{id}/log", UriKind.Relative), TestContext.Current.CancellationToken);
        log.ShouldContain("done");
    }
}
