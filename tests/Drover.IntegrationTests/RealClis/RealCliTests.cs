using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Drover.IntegrationTests.RealClis;

/// <summary>
/// Real codex and claude binaries (from npm, pinned) run by a real <c>drover serve</c> against a scripted fake model on
/// 127.0.0.1, everything inside a network namespace where only loopback exists. Each test checks what a user would:
/// the file on the job's branch, the final state and class, and the usage exactly as the endpoint sent it.
/// </summary>
public sealed partial class RealCliTests : IAsyncLifetime
{
    private const string Hello = "printf 'hello from agent\\n' > hello.txt";
    private readonly TestHome _t = new();
    private LoopbackNetwork? _net;
    private FakeModelServer? _model;
    private BackgroundProcess? _serve;

    private string Repo => Path.Combine(_t.Root, "repo");

    private FakeModelServer Model => _model!;

    public async ValueTask InitializeAsync()
    {
        _net = LoopbackNetwork.Create();
        _model = await FakeModelServer.StartAsync(_net.Listen());
        _t.Cli.Prefix = _net.Prefix;
        Git(_t.Root, "init", "-q", "-b", "main", Repo);
        await File.WriteAllTextAsync(Path.Combine(Repo, "README.md"), "demo\n");
        Git(Repo, "add", ".");
        Git(Repo, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qm", "init");
    }

    /// <summary>Writes drover.toml for both CLIs (codex pointed at <paramref name="codexUrl"/>) and starts serve.</summary>
    private async Task ServeAsync(string? codexUrl = null, string claudeArgs = "")
    {
        var codex = await AgentClis.BinaryAsync(AgentClis.CodexPackage, "codex");
        var claude = await AgentClis.BinaryAsync(AgentClis.ClaudePackage, "claude");
        var provider = $"model_providers.local={{name=\"local\", base_url=\"{codexUrl ?? Model.Url + "/v1"}\", env_key=\"LOCAL_API_KEY\", " +
            "wire_api=\"responses\", request_max_retries=0, stream_max_retries=0}";
        await File.WriteAllTextAsync(Path.Combine(_t.Home, "drover.toml"), $$"""
            [engines.codex]
            path = {{Toml(codex)}}
            args = ["-c", "model_provider=\"local\"", "-c", {{Toml(provider)}}]
            env = { LOCAL_API_KEY = "test-key" }
            model = "gpt-5.5"

            [engines.claude]
            path = {{Toml(claude)}}
            args = [{{claudeArgs}}]
            env = { ANTHROPIC_BASE_URL = {{Toml(Model.Url)}}, ANTHROPIC_API_KEY = "test-key" }
            model = "claude-sonnet-4-5"

            [prices."gpt-5.5"]
            input = 1.25
            cached_input = 0.125
            output = 10.0
            """);
        _serve = _t.Cli.Start(["serve", "--port", "0", "--slots", "1"]);
        await _t.WaitForServerAsync(_serve, TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// The gateway on, with the fake model behind it as two providers (openai for codex, anthropic for claude): the
    /// drivers point the CLIs at the gateway with each attempt's own key; nothing in [engines] names an endpoint.
    /// </summary>
    private async Task ServeThroughGatewayAsync()
    {
        var codex = await AgentClis.BinaryAsync(AgentClis.CodexPackage, "codex");
        var claude = await AgentClis.BinaryAsync(AgentClis.ClaudePackage, "claude");
        await File.WriteAllTextAsync(Path.Combine(_t.Home, "drover.toml"), $$"""
            [gateway]
            enabled = true
            first_byte_timeout = "10s"

            [engines.codex]
            path = {{Toml(codex)}}
            model = "gpt-5.5"

            [engines.claude]
            path = {{Toml(claude)}}
            model = "claude-sonnet-4-5"

            [[providers]]
            name = "openai-fake"
            kind = "openai"
            base_url = "{{Model.Url}}/v1"
            models = ["gpt-5.5"]
            health_check = false
            price = { input = 1.25, cached_input = 0.125, output = 10.0 }

            [[providers]]
            name = "anthropic-fake"
            kind = "anthropic"
            base_url = "{{Model.Url}}/v1"
            models = ["claude-sonnet-4-5"]
            health_check = false
            price = { input = 3.0, cached_input = 0.3, cache_write = 3.75, output = 15.0 }
            """);
        _serve = _t.Cli.Start(["serve", "--port", "0", "--slots", "1"]);
        await _t.WaitForServerAsync(_serve, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Codex_ThroughTheGateway_SpendLandsOnTheJobToTheToken()
    {
        await ServeThroughGatewayAsync();
        Model.Script(
            new RunShell(Hello, new FakeUsage(1200, 1000, 0, 40, 10)),
            new SayDone("Done: created hello.txt.", new FakeUsage(1300, 1100, 0, 50, 0)));

        var r = await SubmitAsync("codex");

        r.ExitCode.ShouldBe(0, Explain(r));
        OnBranch(r.Json, "hello.txt").ShouldBe("hello from agent\n");
        Model.Requests.ShouldBe(["POST /v1/responses", "POST /v1/responses"]);
        var spend = await GatewaySpendAsync(r, requests: 2);
        // Two calls: fresh input 200 + 200, cached 1,000 + 1,100, output 40 + 50 (10 of it reasoning).
        (Long(spend, "requests"), Long(spend, "input_tokens"), Long(spend, "cached_input_tokens"), Long(spend, "output_tokens"), Long(spend, "reasoning_tokens"))
            .ShouldBe((2L, 400L, 2100L, 90L, 10L), spend.ToString());
        spend.GetProperty("cost_usd").GetDecimal().ShouldBe(((400 * 1.25m) + (2100 * 0.125m) + (90 * 10m)) / 1_000_000m);
        var byProvider = (await _t.Cli.RunAsync("usage", "--by", "provider", "--json")).Json.GetProperty("rows")[0];
        byProvider.GetProperty("key").GetString().ShouldBe("openai-fake");
        Long(byProvider, "output_tokens").ShouldBe(90);
        Model.Bodies.ShouldAllBe(b => !b.Contains("drvjob_", StringComparison.Ordinal), "the attempt's key stays between the CLI and the gateway");
    }

    [Fact]
    public async Task Claude_ThroughTheGateway_SpendLandsOnTheJobWithCacheKeptApart()
    {
        await ServeThroughGatewayAsync();
        Model.Script(
            new RunShell(Hello, new FakeUsage(100, 2000, 300, 40, 0)),
            new SayDone("Done: created hello.txt.", new FakeUsage(150, 2100, 0, 50, 0)));

        var r = await SubmitAsync("claude");

        r.ExitCode.ShouldBe(0, Explain(r));
        OnBranch(r.Json, "hello.txt").ShouldBe("hello from agent\n");
        var spend = await GatewaySpendAsync(r, requests: 2);
        (Long(spend, "requests"), Long(spend, "input_tokens"), Long(spend, "cached_input_tokens"), Long(spend, "cache_write_tokens"), Long(spend, "output_tokens"))
            .ShouldBe((2L, 250L, 4100L, 300L, 90L), spend.ToString());
        spend.GetProperty("cost_usd").GetDecimal().ShouldBe(((250 * 3m) + (4100 * 0.3m) + (300 * 3.75m) + (90 * 15m)) / 1_000_000m);
        Model.Requests.ShouldAllBe(q => q.StartsWith("POST /v1/messages", StringComparison.Ordinal));
    }

    /// <summary>The job's gateway spend once its calls are booked (the books are written just after each answer ends).</summary>
    private async Task<JsonElement> GatewaySpendAsync(CliResult job, long requests)
    {
        var id = job.Json.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var spend = (await _t.Cli.RunAsync("show", id, "--json")).Json.GetProperty("gateway_spend");
            if (Long(spend, "requests") >= requests || deadline.Elapsed > TimeSpan.FromSeconds(10))
                return spend;
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    private async Task<CliResult> SubmitAsync(string engine, params string[] extra) =>
        await _t.Cli.RunAsync(["submit", "Create hello.txt containing 'hello from agent'.", "--engine", engine, "--repo", Repo,
            "--timeout", "90s", "--wait", "--json", .. extra]);

    [Fact]
    public async Task Codex_CreatesTheFile_SucceedsWithTheUsageTheEndpointSent()
    {
        await ServeAsync();
        Model.Script(
            new RunShell(Hello, new FakeUsage(1200, 1000, 0, 40, 10)),
            new SayDone("Done: created hello.txt.", new FakeUsage(1300, 1100, 0, 50, 0)));

        var r = await SubmitAsync("codex");

        r.ExitCode.ShouldBe(0, Explain(r));
        var job = r.Json;
        job.GetProperty("state").GetString().ShouldBe("succeeded");
        OnBranch(job, "hello.txt").ShouldBe("hello from agent\n");
        job.GetProperty("diff").GetProperty("files").GetInt32().ShouldBe(1);
        var usage = job.GetProperty("usage");
        // codex sums a turn (input includes cached): 2,500 in, 2,100 of it cached, 90 out of which 10 reasoning.
        (Long(usage, "input_tokens"), Long(usage, "cached_input_tokens"), Long(usage, "output_tokens"), Long(usage, "reasoning_tokens"))
            .ShouldBe((400L, 2100L, 90L, 10L), usage.ToString());
        usage.GetProperty("cost_source").GetString().ShouldBe("priced", "codex reports no dollars; the [prices] table does");
        usage.GetProperty("cost_usd").GetDecimal().ShouldBe(((400 * 1.25m) + (2100 * 0.125m) + (90 * 10m)) / 1_000_000m);
        Model.Requests.ShouldBe(["POST /v1/responses", "POST /v1/responses"]);
        job.GetProperty("summary").GetString().ShouldBe("Done: created hello.txt.");
    }

    [Fact]
    public async Task Claude_CreatesTheFile_SucceedsWithReportedCostAndCacheKeptApart()
    {
        await ServeAsync();
        Model.Script(
            new RunShell(Hello, new FakeUsage(100, 2000, 300, 40, 0)),
            new SayDone("Done: created hello.txt.", new FakeUsage(150, 2100, 0, 50, 0)));

        var r = await SubmitAsync("claude");

        r.ExitCode.ShouldBe(0, Explain(r));
        var job = r.Json;
        job.GetProperty("state").GetString().ShouldBe("succeeded");
        OnBranch(job, "hello.txt").ShouldBe("hello from agent\n");
        var usage = job.GetProperty("usage");
        (Long(usage, "input_tokens"), Long(usage, "cached_input_tokens"), Long(usage, "cache_write_tokens"), Long(usage, "output_tokens"))
            .ShouldBe((250L, 4100L, 300L, 90L), usage.ToString());
        usage.GetProperty("cost_source").GetString().ShouldBe("reported");
        usage.GetProperty("cost_usd").GetDecimal().ShouldBeGreaterThan(0m);
    }

    [Fact]
    public async Task Codex_Endpoint500_FailsAsModelErrorAfterTheRetryPolicy()
    {
        await ServeAsync();
        Model.Repeat = new HttpError(500);

        var r = await SubmitAsync("codex", "--max-attempts", "2", "--backoff", "1s");

        r.ExitCode.ShouldBe(1, Explain(r));
        var job = r.Json;
        job.GetProperty("state").GetString().ShouldBe("failed");
        job.GetProperty("class").GetString().ShouldBe("model_error", job.ToString());
        job.GetProperty("attempts").GetArrayLength().ShouldBe(2);
    }

    [Fact]
    public async Task Codex_EndpointDown_FailsFastNotAtTheTimeout()
    {
        // Nothing listens on port 9 inside the namespace.
        await ServeAsync(codexUrl: "http://127.0.0.1:9/v1");
        var clock = Stopwatch.StartNew();

        var r = await SubmitAsync("codex", "--max-attempts", "1");

        r.ExitCode.ShouldBe(1, Explain(r));
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(60), "the 90 s job timeout is the backstop, not the way it ends");
        r.Json.GetProperty("state").GetString().ShouldBe("failed");
        Model.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task Codex_NoUsageSent_UsageIsUnknownNotFree()
    {
        await ServeAsync();
        Model.Script(new RunShell(Hello, null), new SayDone("Done.", null));

        var r = await SubmitAsync("codex");

        r.ExitCode.ShouldBe(0, Explain(r));
        var usage = r.Json.GetProperty("usage");
        usage.GetProperty("cost_source").GetString().ShouldBe("unknown", usage.ToString());
        Long(usage, "input_tokens").ShouldBe(0);
        Long(usage, "output_tokens").ShouldBe(0);
    }

    [Fact]
    public async Task Claude_DeniedTool_FailsEvenThoughTheCliExitsZero()
    {
        // Drover allows the editing tools up front; a tool outside that list (here WebFetch) is denied in a headless run.
        await ServeAsync();
        Model.Script(
            new CallTool("WebFetch", new System.Text.Json.Nodes.JsonObject { ["url"] = "http://127.0.0.1:9/spec", ["prompt"] = "Read the spec" }, new FakeUsage(100, 0, 0, 20, 0)),
            new SayDone("I could not fetch the spec.", new FakeUsage(120, 0, 0, 20, 0)));

        var r = await SubmitAsync("claude", "--max-attempts", "1");

        r.ExitCode.ShouldBe(1, Explain(r));
        var job = r.Json;
        job.GetProperty("state").GetString().ShouldBe("failed");
        job.GetProperty("attempts")[0].GetProperty("exit_code").GetInt32().ShouldBe(0, "claude itself exits 0 after a denial");
        job.GetProperty("reason").GetString().ShouldBe("tool calls were denied: WebFetch");
    }

    [Fact]
    public async Task Claude_UsageLimitWithReset_WaitsUntilThenAndCodexKeepsWorking()
    {
        await ServeAsync();
        Model.Script(new HttpError(429, "You have reached your usage limit. Your limit resets in 2 hours."));

        var submitted = await _t.Cli.RunAsync("submit", "Create hello.txt", "--engine", "claude", "--repo", Repo, "--json");
        submitted.ExitCode.ShouldBe(0, submitted.ToString());
        var id = submitted.Json.GetProperty("id").GetInt64();
        var waiting = await _t.WaitForJobAsync(id, j => j.GetProperty("class").ValueKind == JsonValueKind.String, TimeSpan.FromSeconds(60));

        waiting.GetProperty("state").GetString().ShouldBe("queued", waiting.ToString());
        waiting.GetProperty("class").GetString().ShouldBe("rate_limited");
        waiting.GetProperty("failures").GetInt32().ShouldBe(0, "a usage limit is not the job's failure");
        var eligible = DateTimeOffset.Parse(waiting.GetProperty("next_eligible_at").GetString()!, CultureInfo.InvariantCulture);
        (eligible - DateTimeOffset.UtcNow).ShouldBeInRange(TimeSpan.FromMinutes(118), TimeSpan.FromMinutes(121));
        var status = (await _t.Cli.RunAsync("status", "--json")).Json;
        status.GetProperty("engine_gates").EnumerateArray().ShouldContain(g => g.GetProperty("engine").GetString() == "claude", status.ToString());

        Model.Script(new RunShell(Hello, new FakeUsage(10, 0, 0, 5, 0)), new SayDone("Done.", new FakeUsage(10, 0, 0, 5, 0)));
        var codex = await SubmitAsync("codex");
        codex.ExitCode.ShouldBe(0, Explain(codex));
        codex.Json.GetProperty("state").GetString().ShouldBe("succeeded");
        (await _t.Cli.RunAsync("show", id.ToString(CultureInfo.InvariantCulture), "--json")).Json.GetProperty("state").GetString().ShouldBe("queued");
    }

    [Theory]
    [InlineData("codex", "function_call_output")]
    [InlineData("claude", "tool_result")]
    public async Task RetryAfterModelError_ContinuesTheAgentSessionInsteadOfStartingOver(string engine, string priorToolResult)
    {
        await ServeAsync();
        // Attempt 1: the agent runs its command, then the endpoint fails; attempt 2 must carry on from there.
        Model.Script(
            new RunShell(Hello, new FakeUsage(100, 0, 0, 10, 0)),
            new HttpError(500),
            new SayDone("Done: hello.txt was already there.", new FakeUsage(200, 0, 0, 10, 0)));

        var r = await SubmitAsync(engine, "--max-attempts", "2", "--backoff", "1s");

        r.ExitCode.ShouldBe(0, Explain(r));
        var job = r.Json;
        job.GetProperty("attempts").GetArrayLength().ShouldBe(2);
        job.GetProperty("attempts")[0].GetProperty("class").GetString().ShouldBe("model_error");
        OnBranch(job, "hello.txt").ShouldBe("hello from agent\n");
        var resumed = Model.Bodies[^1];
        resumed.ShouldContain(priorToolResult, customMessage: "attempt 2's request carries attempt 1's conversation");
        resumed.ShouldContain("stopped early");
        File.ReadAllText(Path.Combine(_t.Home, "runs", job.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture), "2", "log"))
            .ShouldContain("continuing the agent session");
    }

    private string Explain(CliResult r) =>
        $"{r}\nmodel requests: {string.Join(", ", Model.Requests)}\nserve:\n{_serve?.Output}\nlog:\n{AttemptLogs()}";

    private string AttemptLogs()
    {
        var runs = Path.Combine(_t.Home, "runs");
        return Directory.Exists(runs)
            ? string.Join("\n", Directory.EnumerateFiles(runs, "*", SearchOption.AllDirectories)
                .Where(f => f.EndsWith(".log", StringComparison.Ordinal) || f.EndsWith(".jsonl", StringComparison.Ordinal))
                .Select(f => $"== {f}\n{File.ReadAllText(f)}"))
            : "(no runs)";
    }

    private string OnBranch(JsonElement job, string file) =>
        Git(Repo, "show", $"{job.GetProperty("branch").GetString()}:{file}");

    private static long Long(JsonElement e, string name) => e.GetProperty(name).GetInt64();

    private static string Toml(string s) => JsonSerializer.Serialize(s);

    private static string Git(string cwd, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = cwd };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"git {string.Join(' ', args)}: {error}");
        return output;
    }

    /// <summary>
    /// With DROVER_RECORD_SAMPLES=DIR, keeps each attempt's raw CLI output (paths rewritten to /srv/demo) so it can
    /// become a contract-test sample in tests/corpus/agent-samples/recorded.
    /// </summary>
    private void KeepSamples()
    {
        var into = Environment.GetEnvironmentVariable("DROVER_RECORD_SAMPLES");
        var runs = Path.Combine(_t.Home, "runs");
        if (string.IsNullOrEmpty(into) || !Directory.Exists(runs))
            return;
        Directory.CreateDirectory(into);
        var test = TestContext.Current.TestMethod?.MethodName ?? "run";
        foreach (var stream in Directory.EnumerateFiles(runs, "stream.jsonl", SearchOption.AllDirectories))
        {
            var attempt = Path.GetFileName(Path.GetDirectoryName(stream)!);
            var job = Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(stream))!);
            File.WriteAllText(Path.Combine(into, $"{test}.job{job}.attempt{attempt}.jsonl"), File.ReadAllText(stream).Replace(_t.Root, "/srv/demo", StringComparison.Ordinal));
        }
    }

    public async ValueTask DisposeAsync()
    {
        KeepSamples();
        if (_serve is not null)
            await _serve.DisposeAsync();
        if (_model is not null)
            await _model.DisposeAsync();
        _net?.Dispose();
        _t.Dispose();
    }
}
