using Drover.Core.Configuration;
using Drover.Core.Jobs;
using Drover.Core.Storage;
using Drover.Engines.Agents;
using Drover.Engines.Attempts;
using Drover.Engines.Tests.Attempts;

namespace Drover.Engines.Tests.Agents;

/// <summary>Custom engines from <c>[engines.NAME] command</c>: real scripts run end to end through the runner with real git.</summary>
public sealed class CustomEngineAttemptTests : IDisposable
{
    private static readonly string Samples = Path.Combine(AppContext.BaseDirectory, "corpus", "agent-samples");
    private readonly AttemptHarness _h = new();

    /// <summary>A script that records its argv one per line, writes hello.txt in its cwd, then runs <paramref name="body"/>.</summary>
    private string Script(string name, string body)
    {
        var path = Path.Combine(_h.Plain, name);
        File.WriteAllText(path, $$"""
            #!/bin/sh
            printf '%s\n' "$@" > "{{_h.Plain}}/{{name}}.argv"
            printf 'hello from agent\n' > hello.txt
            {{body}}
            """);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private CustomEngineDriver Use(string name, EngineConfig config)
    {
        var driver = EngineDrivers.All(new Dictionary<string, EngineConfig> { [name] = config }).OfType<CustomEngineDriver>().Single();
        _h.Runner = new ShellAttemptRunner(drivers: [driver]);
        return driver;
    }

    private string[] Argv(string name) => File.ReadAllLines(Path.Combine(_h.Plain, $"{name}.argv"));

    [Fact]
    public async Task DroverUsage_PlaceholdersSubstitutedInsideEachElement_ProtocolRead()
    {
        var script = Script("mytool", """
            echo "DROVER_PROGRESS read $(wc -c < "$2") bytes"
            echo 'DROVER_USAGE {"input_tokens":120,"output_tokens":30,"cost_usd":0.002,"model":"m-1"}'
            echo 'DROVER_USAGE {"input_tokens":5,"output_tokens":1,"cost_usd":0.001}'
            echo
            echo "mytool finished"
            """);
        Use("mytool", new EngineConfig
        {
            Command = [script, "--prompt-file", "{prompt_file}", "--cwd={workspace}", "--model", "{model}", "$(touch pwned) {nope} {workspace}{model}"],
            Model = "m-1",
            Args = ["--extra"],
            Usage = "drover",
        });

        var report = await _h.RunAsync("""{"engine": "mytool", "prompt": "say hello"}""");

        report.Outcome.Kind.ShouldBe(AttemptOutcomeKind.Succeeded, report.Outcome.Reason);
        report.Result.Usage.ShouldBe(new UsageRecord(125, 0, 31, 0.003m, "reported", "m-1"));
        report.Result.Summary.ShouldBe("mytool finished");
        _h.Sink.Progress.ShouldContain("read 9 bytes");
        _h.OnJobBranch("hello.txt").ShouldBe("hello from agent");

        var workspace = _h.Worktree();
        Argv("mytool").ShouldBe([
            "--prompt-file", Path.Combine(_h.RunDir(), "prompt.md"), $"--cwd={workspace}", "--model", "m-1",
            $"$(touch pwned) {{nope}} {workspace}m-1", "--extra",
        ]);
        File.Exists(Path.Combine(workspace, "pwned")).ShouldBeFalse(); // no shell ever saw the argv
    }

    [Fact]
    public async Task ClaudeUsage_ReadsTheClaudeStream()
    {
        var script = Script("wrapper", $"cat '{Path.Combine(Samples, "claude.write.out.jsonl")}'");
        Use("wrapper", new EngineConfig { Command = [script, "{prompt_file}"], Usage = "claude" });

        var report = await _h.RunAsync("""{"engine": "wrapper", "prompt": "create hello.txt"}""");

        report.Outcome.Kind.ShouldBe(AttemptOutcomeKind.Succeeded, report.Outcome.Reason);
        report.Result.Summary.ShouldBe("Done: created hello.txt containing 'hello from agent'.");
        var usage = report.Result.Usage.ShouldNotBeNull();
        (usage.InputTokens, usage.CachedInputTokens, usage.OutputTokens, usage.CostSource).ShouldBe((400L, 2100L, 90L, "reported"));
        File.Exists(Path.Combine(_h.RunDir(), "stream.jsonl")).ShouldBeTrue();
    }

    [Fact]
    public async Task ClaudeUsage_OverTheBudgetWhenTheAgentEnds_FailsBudgetExhaustedNotSucceeded()
    {
        var script = Script("wrapper", $"cat '{Path.Combine(Samples, "claude.write.out.jsonl")}'");
        Use("wrapper", new EngineConfig { Command = [script, "{prompt_file}"], Usage = "claude" });
        UsageRecord? checkedUsage = null;
        _h.Sink.Budget = usage =>
        {
            checkedUsage = usage ?? checkedUsage;
            return usage is { OutputTokens: > 50 } ? new BudgetStop("budget job:1 of 100 tokens: over") : null;
        };

        var report = await _h.RunAsync("""{"engine": "wrapper", "prompt": "create hello.txt"}""");

        report.Outcome.Class.ShouldBe(FailureClass.BudgetExhausted, report.Outcome.Reason);
        checkedUsage.ShouldNotBeNull().OutputTokens.ShouldBe(90, "the agent's own final usage is what the budget is checked against");
        _h.OnJobBranch("hello.txt").ShouldBe("hello from agent", "the work is still checkpointed");
    }

    [Fact]
    public async Task NoneUsage_IgnoresProtocolLines_AndTheExitCodeDecides()
    {
        var script = Script("plain", """
            echo 'DROVER_USAGE {"input_tokens":120,"output_tokens":30}'
            echo 'DROVER_QUESTION should not block'
            echo "all done"
            exit "$1"
            """);
        Use("plain", new EngineConfig { Command = [script, "0"], Usage = "none" });

        var ok = await _h.RunAsync("""{"engine": "plain", "prompt": "p"}""");

        ok.Outcome.Kind.ShouldBe(AttemptOutcomeKind.Succeeded, ok.Outcome.Reason);
        ok.Result.Usage.ShouldBeNull();
        ok.Result.Summary.ShouldBe("DROVER_USAGE {\"input_tokens\":120,\"output_tokens\":30}\nDROVER_QUESTION should not block\nall done");
        _h.LogLines().ShouldContain("all done");
    }

    [Fact]
    public async Task NoneUsage_NonZeroExit_IsACrashNamingTheEngine()
    {
        Use("plain", new EngineConfig { Command = [Script("plain", "echo 'boom' >&2; exit 3")], Usage = "none" });

        var report = await _h.RunAsync("""{"engine": "plain", "prompt": "p"}""");

        report.Outcome.Class.ShouldBe(FailureClass.Crash);
        report.Outcome.Reason.ShouldNotBeNull().ShouldContain("plain exited with code 3: boom");
    }

    [Fact]
    public async Task ModelPlaceholder_WithoutAModel_RefusesToStart()
    {
        Use("mytool", new EngineConfig { Command = [Script("mytool", "exit 0"), "--model", "{model}"] });

        var report = await _h.RunAsync("""{"engine": "mytool", "prompt": "p"}""");

        report.Outcome.Class.ShouldBe(FailureClass.NoEngine);
        report.Outcome.Reason.ShouldNotBeNull().ShouldContain("{model}");
        File.Exists(Path.Combine(_h.Plain, "mytool.argv")).ShouldBeFalse();
    }

    [Fact]
    public async Task ModelFromTheJob_WinsOverTheConfiguredOne()
    {
        Use("mytool", new EngineConfig { Command = [Script("mytool", "echo done"), "{model}"], Model = "configured" });

        (await _h.RunAsync("""{"engine": "mytool", "prompt": "p", "model": "from-job"}""")).Outcome.Kind.ShouldBe(AttemptOutcomeKind.Succeeded);

        Argv("mytool").ShouldBe(["from-job"]);
    }

    [Fact]
    public async Task MissingProgram_IsNoEngine()
    {
        Use("ghost", new EngineConfig { Command = ["no-such-program-anywhere", "{prompt_file}"] });

        var report = await _h.RunAsync("""{"engine": "ghost", "prompt": "p"}""");

        report.Outcome.Class.ShouldBe(FailureClass.NoEngine);
        report.Outcome.Reason.ShouldNotBeNull().ShouldContain("no-such-program-anywhere not found");
    }

    public void Dispose() => _h.Dispose();
}
