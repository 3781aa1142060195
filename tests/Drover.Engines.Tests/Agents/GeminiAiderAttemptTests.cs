using System.Text.Json.Nodes;
using Drover.Core.Configuration;
using Drover.Core.Jobs;
using Drover.Core.Storage;
using Drover.Engines.Agents;
using Drover.Engines.Attempts;
using Drover.Engines.Tests.Attempts;

namespace Drover.Engines.Tests.Agents;

/// <summary>
/// Whole attempts through the gemini and aider drivers with a stand-in executable that records its argv and env,
/// makes the change, and prints output synthesized from each CLI's documented format (no real run was recorded).
/// </summary>
public sealed class GeminiAiderAttemptTests : IDisposable
{
    private const string Prompt = "-rf: create hello.txt; don't $(run) this";
    private readonly AttemptHarness _h = new();

    private string FakeCli(string name, string output, int exit = 0)
    {
        var sample = Path.Combine(_h.Plain, name + ".out");
        File.WriteAllText(sample, output);
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

    private void UseDriver(IEngineDriver driver) => _h.Runner = new ShellAttemptRunner(drivers: [driver]);

    private string[] Argv(string name) => File.ReadAllLines(Path.Combine(_h.Plain, $"{name}.argv"));

    [Fact]
    public async Task Gemini_Success_RunsHeadlessWithItsOwnHome_AndRecordsTokens()
    {
        var cli = FakeCli("gemini", """
            {"type":"init","timestamp":"t","session_id":"g-1","model":"gemini-2.5-pro"}
            {"type":"tool_use","timestamp":"t","tool_name":"write_file","tool_id":"c1","parameters":{"file_path":"hello.txt","content":"hello from agent"}}
            {"type":"tool_result","timestamp":"t","tool_id":"c1","status":"success"}
            {"type":"message","timestamp":"t","role":"assistant","content":"Done: created hello.txt.","delta":true}
            {"type":"result","timestamp":"t","status":"success","stats":{"total_tokens":2590,"input_tokens":2500,"output_tokens":90,"cached":2100,"input":400,"duration_ms":9,"tool_calls":1}}

            """);
        UseDriver(new GeminiDriver(new EngineConfig { Path = cli, Model = "gemini-2.5-pro", Args = ["--max-turns", "9"] }));

        var report = await _h.RunAsync($$"""{"engine": "gemini", "prompt": {{AttemptHarness.Quote(Prompt)}}}""");

        report.Outcome.Kind.ShouldBe(AttemptOutcomeKind.Succeeded, report.Outcome.Reason);
        report.Result.Summary.ShouldBe("Done: created hello.txt.");
        report.Result.Usage.ShouldBe(new UsageRecord(400, 2100, 90, 0m, "unknown", "gemini-2.5-pro"));
        _h.OnJobBranch("hello.txt").ShouldBe("hello from agent");
        _h.LogLines().ShouldContain("write_file: hello.txt");

        // The prompt is one element that yargs reads whole, even though it starts with "-".
        var argv = Argv("gemini");
        string.Join(' ', argv).ShouldStartWith("--output-format stream-json --yolo --model gemini-2.5-pro --max-turns 9");
        argv[^1].ShouldBe("--prompt=" + Prompt);

        var home = Path.Combine(_h.RunDir(), "agent-home");
        File.ReadAllLines(Path.Combine(_h.Plain, "gemini.env")).ShouldContain($"GEMINI_CLI_HOME={home}");
        var settings = JsonNode.Parse(File.ReadAllText(Path.Combine(home, ".gemini", "settings.json")))!;
        settings["telemetry"]!["enabled"]!.GetValue<bool>().ShouldBeFalse();
        settings["general"]!["enableAutoUpdate"]!.GetValue<bool>().ShouldBeFalse();
        settings["privacy"]!["usageStatisticsEnabled"]!.GetValue<bool>().ShouldBeFalse();
    }

    [Fact]
    public async Task Gemini_TurnLimitExit_FailsAsBudgetExhausted_AndTheWorkIsCheckpointed()
    {
        UseDriver(new GeminiDriver(new EngineConfig { Path = FakeCli("gemini", "", exit: GeminiStream.TurnLimitExit) }));

        var report = await _h.RunAsync("""{"engine": "gemini", "prompt": "hi"}""");

        report.Outcome.Class.ShouldBe(FailureClass.BudgetExhausted);
        report.Result.ExitCode.ShouldBe(GeminiStream.TurnLimitExit);
        _h.OnJobBranch("hello.txt").ShouldBe("hello from agent");
    }

    [Fact]
    public void GeminiSettings_KeepTheUsersAuthChoice_ButForceTelemetryAndUpdatesOff()
    {
        var user = Path.Combine(_h.Plain, "user-settings.json");
        File.WriteAllText(user, """
            // gemini accepts comments here
            {"security": {"auth": {"selectedType": "oauth-personal"}}, "telemetry": {"enabled": true, "target": "gcp"},}
            """);

        var settings = JsonNode.Parse(GeminiDriver.Settings(user))!;

        settings["security"]!["auth"]!["selectedType"]!.GetValue<string>().ShouldBe("oauth-personal");
        settings["telemetry"]!["enabled"]!.GetValue<bool>().ShouldBeFalse();
        settings["general"]!["enableAutoUpdateNotification"]!.GetValue<bool>().ShouldBeFalse();
        JsonNode.Parse(GeminiDriver.Settings(Path.Combine(_h.Plain, "missing.json")))!["telemetry"]!["enabled"]!.GetValue<bool>().ShouldBeFalse();
    }

    [Fact]
    public async Task Aider_Success_ReadsThePromptFromItsFile_AndRecordsReportedCost()
    {
        var cli = FakeCli("aider", """
            Aider v0.86.1
            Main model: anthropic/claude-sonnet-4-20250514 with diff edit format
            Git repo: .git with 1 files

            hello.txt
            ```
            <<<<<<< SEARCH
            =======
            hello from agent
            >>>>>>> REPLACE
            ```

            Tokens: 2.3k sent, 400 cache hit, 90 received. Cost: $0.01 message, $0.01 session.
            Applied edit to hello.txt

            Done: created hello.txt containing 'hello from agent'.

            Tokens: 1.2k sent, 1.1k cache hit, 30 received. Cost: $0.0031 message, $0.0131 session.

            """);
        UseDriver(new AiderDriver(new EngineConfig { Path = cli, Model = "sonnet" }));

        var report = await _h.RunAsync($$"""{"engine": "aider", "prompt": {{AttemptHarness.Quote(Prompt)}}}""");

        report.Outcome.Kind.ShouldBe(AttemptOutcomeKind.Succeeded, report.Outcome.Reason);
        report.Result.Summary.ShouldBe("Done: created hello.txt containing 'hello from agent'.");
        report.Result.Usage.ShouldBe(new UsageRecord(2000, 1500, 120, 0.0131m, "reported", "anthropic/claude-sonnet-4-20250514"));
        _h.LogLines().ShouldContain("edit: hello.txt");
        _h.LogLines().ShouldNotContain("hello from agent");

        var argv = Argv("aider");
        argv.ShouldContain("--yes-always");
        argv.ShouldContain("--no-pretty");
        argv.ShouldContain("--no-auto-commits");
        string.Join(' ', argv).ShouldContain("--model sonnet");
        argv[^2..].ShouldBe(["--message-file", Path.Combine(_h.RunDir(), "prompt.md")]);
        File.ReadAllText(Path.Combine(_h.RunDir(), "prompt.md")).ShouldBe(Prompt);
        argv.ShouldContain(Path.Combine(_h.RunDir(), "agent-home", "chat.history.md"));
    }

    [Fact]
    public async Task Aider_AuthErrorWithExitZero_FailsAsAuth()
    {
        UseDriver(new AiderDriver(new EngineConfig
        {
            Path = FakeCli("aider", "litellm.AuthenticationError: AnthropicException - invalid x-api-key\nThe API provider is not able to authenticate you. Check your API key.\n"),
        }));

        var report = await _h.RunAsync("""{"engine": "aider", "prompt": "hi"}""");

        report.Outcome.Kind.ShouldBe(AttemptOutcomeKind.Failed);
        report.Outcome.Class.ShouldBe(FailureClass.Auth);
    }

    public void Dispose() => _h.Dispose();
}
