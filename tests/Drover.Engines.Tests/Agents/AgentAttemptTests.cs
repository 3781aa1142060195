using Drover.Core.Configuration;
using Drover.Core.Jobs;
using Drover.Core.Storage;
using Drover.Engines.Agents;
using Drover.Engines.Attempts;
using Drover.Engines.Tests.Attempts;
using static Drover.Engines.Tests.Attempts.AttemptHarness;

namespace Drover.Engines.Tests.Agents;

/// <summary>
/// Whole attempts through the agent drivers, with a stand-in executable in place of the CLI that replays a
/// recorded output (and makes the change the real run made), so argv, env, logs, usage and verdicts are real.
/// </summary>
public sealed class AgentAttemptTests : IDisposable
{
    private static readonly string Samples = Path.Combine(AppContext.BaseDirectory, "corpus", "agent-samples");
    private readonly AttemptHarness _h = new();

    /// <summary>Writes an executable that records its argv and env, writes hello.txt, prints <paramref name="sample"/>, exits <paramref name="exit"/>.</summary>
    private string FakeCli(string name, string sample, int exit = 0)
    {
        var path = Path.Combine(_h.Plain, name);
        File.WriteAllText(path, $$"""
            #!/bin/sh
            printf '%s\n' "$@" > "{{_h.Plain}}/{{name}}.argv"
            env > "{{_h.Plain}}/{{name}}.env"
            printf 'hello from agent\n' > hello.txt
            cat '{{sample}}'
            exit {{exit}}
            """);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private static string SampleFile(string name) => Path.Combine(Samples, name);

    private string WriteSample(string text)
    {
        var path = Path.Combine(_h.Plain, "sample.jsonl");
        File.WriteAllText(path, text);
        return path;
    }

    private void UseDriver(IEngineDriver driver) => _h.Runner = new ShellAttemptRunner(drivers: [driver]);

    [Theory]
    [InlineData("claude")]
    [InlineData("codex")]
    [InlineData("opencode")]
    [InlineData("qwen")]
    public async Task RecordedSuccess_Succeeds_WithUsageSummaryAndReadableLog(string engine)
    {
        var cli = FakeCli(engine, SampleFile($"{engine}.write.out.jsonl"));
        var config = new EngineConfig { Path = cli };
        UseDriver(EngineDrivers.All(new Dictionary<string, EngineConfig> { [engine] = config }).Single(d => d.Name == engine));

        var report = await _h.RunAsync($$"""{"engine": "{{engine}}", "prompt": "-rf: create hello.txt; don't $(run) this"}""");

        report.Outcome.Kind.ShouldBe(AttemptOutcomeKind.Succeeded, report.Outcome.Reason);
        report.Result.Summary.ShouldBe("Done: created hello.txt containing 'hello from agent'.");
        var usage = report.Result.Usage.ShouldNotBeNull();
        (usage.InputTokens, usage.CachedInputTokens, usage.OutputTokens).ShouldBe((400L, 2100L, 90L));
        usage.CostSource.ShouldBe(engine is "claude" or "opencode" ? "reported" : "unknown");
        report.Result.Diff.ShouldNotBeNull().Files.ShouldBe(1);
        _h.OnJobBranch("hello.txt").ShouldBe("hello from agent");

        // The log reads as lines, the raw JSON stays in stream.jsonl.
        var log = _h.LogLines();
        log.ShouldContain(l => l.StartsWith("says: Done", StringComparison.Ordinal));
        log.ShouldNotContain(l => l.TrimStart().StartsWith('{'));
        File.ReadAllLines(Path.Combine(_h.RunDir(), "stream.jsonl")).Length.ShouldBe(File.ReadAllLines(SampleFile($"{engine}.write.out.jsonl")).Length);
        _h.Sink.Progress.ShouldContain(p => p.StartsWith("says: Done", StringComparison.Ordinal));

        // The prompt is one argv element after "--", exactly as written: no shell ever saw it.
        var argv = File.ReadAllLines(Path.Combine(_h.Plain, $"{engine}.argv"));
        argv[^2].ShouldBe("--");
        argv[^1].ShouldBe("-rf: create hello.txt; don't $(run) this");
    }

    [Fact]
    public async Task Claude_RunsWithItsOwnConfigDirAndTelemetryOff()
    {
        UseDriver(new ClaudeDriver(new EngineConfig { Path = FakeCli("claude", SampleFile("claude.out.jsonl")), Model = "claude-sonnet-4-5", Args = ["--max-turns", "30"], Env = new SortedDictionary<string, string> { ["EXTRA"] = "1" } }));

        (await _h.RunAsync("""{"engine": "claude", "prompt": "hi"}""")).Outcome.Kind.ShouldBe(AttemptOutcomeKind.Succeeded);

        var env = File.ReadAllLines(Path.Combine(_h.Plain, "claude.env"));
        env.ShouldContain($"CLAUDE_CONFIG_DIR={Path.Combine(_h.RunDir(), "agent-home")}");
        env.ShouldContain("DISABLE_TELEMETRY=1");
        env.ShouldContain("DISABLE_AUTOUPDATER=1");
        env.ShouldContain("EXTRA=1");
        env.ShouldContain("DROVER_JOB_ID=1");
        var argv = File.ReadAllLines(Path.Combine(_h.Plain, "claude.argv"));
        string.Join(' ', argv).ShouldContain("-p --output-format stream-json --verbose");
        string.Join(' ', argv).ShouldContain("--model claude-sonnet-4-5");
        string.Join(' ', argv).ShouldEndWith("--max-turns 30 -- hi");
        (File.GetUnixFileMode(Path.Combine(_h.RunDir(), "agent-home")) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)).ShouldBe(UnixFileMode.None);
    }

    [Fact]
    public async Task Claude_DenialsWithExitZero_FailTheAttempt()
    {
        var sample = WriteSample("""
            {"type":"system","subtype":"init","session_id":"s","model":"claude-sonnet-4-5"}
            {"type":"result","subtype":"success","is_error":false,"result":"I could not write the file.","permission_denials":[{"tool_name":"Write"}]}
            """);
        UseDriver(new ClaudeDriver(new EngineConfig { Path = FakeCli("claude", sample) }));

        var report = await _h.RunAsync("""{"engine": "claude", "prompt": "hi"}""");

        report.Outcome.Kind.ShouldBe(AttemptOutcomeKind.Failed);
        report.Outcome.Class.ShouldBe(FailureClass.Unknown);
        report.Outcome.Reason.ShouldNotBeNull().ShouldContain("denied");
    }

    [Fact]
    public async Task Codex_TurnFailedRateLimit_IsRateLimitedAndTheWorkIsCheckpointed()
    {
        var sample = WriteSample("""
            {"type":"thread.started","thread_id":"t"}
            {"type":"turn.failed","error":{"message":"exceeded retry limit, last status: 429 Too Many Requests"}}
            """);
        UseDriver(new CodexDriver(new EngineConfig { Path = FakeCli("codex", sample, exit: 1) }));

        var report = await _h.RunAsync("""{"engine": "codex", "prompt": "hi"}""");

        report.Outcome.Class.ShouldBe(FailureClass.RateLimited);
        _h.OnJobBranch("hello.txt").ShouldBe("hello from agent");
    }

    [Fact]
    public async Task Codex_UsageLimitWithReset_WaitsForTheResetInsteadOfFailing()
    {
        var sample = WriteSample("""
            {"type":"thread.started","thread_id":"t"}
            {"type":"turn.failed","error":{"message":"You've hit your usage limit. Try again in 5 minutes."}}
            """);
        UseDriver(new CodexDriver(new EngineConfig { Path = FakeCli("codex", sample, exit: 1) }));
        var before = DateTimeOffset.UtcNow;

        var report = await _h.RunAsync("""{"engine": "codex", "prompt": "hi"}""");

        report.Outcome.Kind.ShouldBe(AttemptOutcomeKind.Released);
        report.Outcome.Class.ShouldBe(FailureClass.RateLimited);
        report.Outcome.GateEngine.ShouldBe("codex");
        report.Outcome.NotBefore.ShouldNotBeNull().ShouldBeInRange(before.AddMinutes(5), DateTimeOffset.UtcNow.AddMinutes(5));
    }

    [Fact]
    public async Task Claude_AskUserQuestion_BlocksForAnAnswer()
    {
        var sample = WriteSample("""
            {"type":"assistant","message":{"content":[{"type":"tool_use","id":"t1","name":"AskUserQuestion","input":{"questions":[{"question":"sqlite or postgres?"}]}}]}}
            {"type":"result","subtype":"success","is_error":false,"result":""}
            """);
        UseDriver(new ClaudeDriver(new EngineConfig { Path = FakeCli("claude", sample) }));

        var report = await _h.RunAsync("""{"engine": "claude", "prompt": "hi"}""");

        report.Outcome.ShouldBe(AttemptOutcome.AwaitAnswer("sqlite or postgres?"));
    }

    [Fact]
    public async Task MissingCli_IsNoEngine_AndNothingRuns()
    {
        UseDriver(new CodexDriver(new EngineConfig { Path = Path.Combine(_h.Plain, "no-such-codex") }));

        var report = await _h.RunAsync("""{"engine": "codex", "prompt": "hi"}""");

        report.Outcome.Class.ShouldBe(FailureClass.NoEngine);
        report.Outcome.Reason.ShouldNotBeNull().ShouldContain("not found");
    }

    [Theory]
    [InlineData("gpt-5.5", "priced", "0.0016625")]
    [InlineData("not-in-the-table", "unknown", "0")]
    public async Task Codex_TokensWithoutCost_ArePricedFromTheTableOnlyForAListedModel(string model, string source, string cost)
    {
        // codex reports tokens, never dollars: 2,500 input of which 2,100 cached, 90 output.
        var prices = new Dictionary<string, ModelPrice> { ["gpt-5.5"] = new(1.25m, 0.125m, 1.5m, 10m) };
        _h.Runner = new ShellAttemptRunner(drivers: [new CodexDriver(new EngineConfig { Path = FakeCli("codex", SampleFile("codex.out.jsonl")) })], prices: prices);

        var report = await _h.RunAsync($$"""{"engine": "codex", "model": "{{model}}", "prompt": "create hello.txt"}""");

        report.Outcome.Kind.ShouldBe(AttemptOutcomeKind.Succeeded, report.Outcome.Reason);
        var usage = report.Result.Usage.ShouldNotBeNull();
        usage.Model.ShouldBe(model, "codex's stream names no model: the one the run was given is recorded");
        (usage.InputTokens, usage.CachedInputTokens, usage.CacheWriteTokens, usage.OutputTokens).ShouldBe((400L, 2100L, 0L, 90L));
        usage.CostSource.ShouldBe(source);
        usage.CostUsd.ShouldBe(decimal.Parse(cost, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task EngineClass_RunsTheFirstPreferredEngineThisWorkerHas()
    {
        var claude = FakeCli("claude", SampleFile("claude.write.out.jsonl"));
        _h.Runner = new ShellAttemptRunner(drivers:
        [
            new CodexDriver(new EngineConfig { Path = Path.Combine(_h.Plain, "not-installed-codex") }),
            new ClaudeDriver(new EngineConfig { Path = claude }),
        ]);

        var report = await _h.RunAsync("""{"engine_class": "agentic-coder", "prefers": ["codex", "claude"], "prompt": "create hello.txt"}""");

        report.Outcome.Kind.ShouldBe(AttemptOutcomeKind.Succeeded, report.Outcome.Reason);
        File.Exists(Path.Combine(_h.Plain, "claude.argv")).ShouldBeTrue("codex is preferred but not installed: claude ran");
        _h.OnJobBranch("hello.txt").ShouldBe("hello from agent");
    }

    [Fact]
    public async Task EngineClass_NoneOfThePreferredInstalled_IsNoEngine()
    {
        _h.Runner = new ShellAttemptRunner(drivers: [new CodexDriver(new EngineConfig { Path = Path.Combine(_h.Plain, "not-installed-codex") })]);

        var report = await _h.RunAsync("""{"engine_class": "agentic-coder", "prefers": ["codex"], "prompt": "create hello.txt"}""");

        report.Outcome.Class.ShouldBe(FailureClass.NoEngine);
        report.Outcome.Reason.ShouldBe("none of codex (engine_class agentic-coder) is installed on this worker");
    }

    [Fact]
    public async Task HugePrompt_IsHandedOverAsAFileNotAnArgvString()
    {
        UseDriver(new CodexDriver(new EngineConfig { Path = FakeCli("codex", SampleFile("codex.out.jsonl")) }));
        var prompt = new string('p', 200 * 1024);

        (await _h.RunAsync($$"""{"engine": "codex", "prompt": "{{prompt}}"}""")).Outcome.Kind.ShouldBe(AttemptOutcomeKind.Succeeded);

        var last = File.ReadAllLines(Path.Combine(_h.Plain, "codex.argv"))[^1];
        last.ShouldContain(Path.Combine(_h.RunDir(), "prompt.md"));
        last.Length.ShouldBeLessThan(1000);
    }

    public void Dispose() => _h.Dispose();
}
