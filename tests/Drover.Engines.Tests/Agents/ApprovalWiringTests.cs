using System.Text.Json;
using Drover.Core.Approvals;
using Drover.Core.Configuration;
using Drover.Engines.Agents;
using Drover.Engines.Attempts;
using Drover.Engines.Tests.Attempts;

namespace Drover.Engines.Tests.Agents;

/// <summary>
/// How a job's tool-approval rules change the launch (SPEC §13): claude asks Drover's MCP endpoint before tool calls;
/// a CLI with no such hook refuses rules that ask or deny; only allow rules (or none) launch exactly as before.
/// </summary>
public sealed class ApprovalWiringTests : IDisposable
{
    private static readonly GatewayEndpoint Gateway = new("http://127.0.0.1:8731/v1", "drvjob_1_1_abc", new HashSet<string> { "anthropic", "openai" });
    private readonly AttemptHarness _h = new();

    public void Dispose() => _h.Dispose();

    private async Task<(EngineLaunch Launch, string RunDir)> LaunchAsync(AgentDriver driver, string approvals, bool gateway = true)
    {
        var spec = await _h.SpecAsync($$"""{"engine": "claude", "prompt": "p", "approvals": {{approvals}}}""");
        var run = Path.Combine(_h.Home, "runs", "1", "1");
        Directory.CreateDirectory(run);
        var prompt = Path.Combine(run, "prompt.md");
        await File.WriteAllTextAsync(prompt, "p", TestContext.Current.CancellationToken);
        var context = new AttemptContext(AttemptHarness.Job(spec), spec, _h.Home, _h.KillGrace, _h.Sink);
        return (driver.Launch(new EngineRequest(context, _h.Repo, prompt) { Gateway = gateway ? Gateway : null }), run);
    }

    private static EngineConfig Installed => new() { Path = "/bin/true" };

    [Fact]
    public async Task Claude_AskRule_CallsGoThroughDroversPromptTool_KeyOnlyInA0600File()
    {
        var (launch, run) = await LaunchAsync(new ClaudeDriver(Installed), """["ask Bash(git push*)"]""");

        launch.Error.ShouldBeNull();
        var argv = launch.Argv!;
        argv.ShouldNotContain("bypassPermissions");
        argv.ShouldNotContain("--allowedTools");
        argv.ShouldNotContain("--permission-mode");
        argv[argv.ToList().IndexOf("--permission-prompt-tool") + 1].ShouldBe("mcp__drover__approve");
        var file = argv[argv.ToList().IndexOf("--mcp-config") + 1];
        file.ShouldBe(Path.Combine(run, "approvals-mcp.json"));
        argv.ShouldNotContain(a => a.Contains("drvjob_", StringComparison.Ordinal));
        File.GetUnixFileMode(file).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var server = JsonDocument.Parse(await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken)).RootElement.GetProperty("mcpServers").GetProperty("drover");
        server.GetProperty("url").GetString().ShouldBe("http://127.0.0.1:8731/v1/approvals/mcp");
        server.GetProperty("headers").GetProperty("Authorization").GetString().ShouldBe("Bearer drvjob_1_1_abc");
        server.GetProperty("timeout").GetInt64().ShouldBe((long)TimeSpan.FromMinutes(11).TotalMilliseconds);
    }

    [Fact]
    public async Task Claude_OnlyAllowRules_LaunchesAsWithoutApprovals()
    {
        var (launch, run) = await LaunchAsync(new ClaudeDriver(Installed), """["allow Bash"]""");

        launch.Argv!.ShouldNotContain("--permission-prompt-tool");
        launch.Argv!.ShouldContain("--permission-mode");
        File.Exists(Path.Combine(run, "approvals-mcp.json")).ShouldBeFalse();
    }

    [Fact]
    public async Task Claude_ConfigDenyRule_WithoutTheGateway_RefusesWithTheReason()
    {
        var driver = new ClaudeDriver(Installed) { Approvals = new ApprovalsConfig { Rules = [ApprovalRule.Parse("deny WebFetch")] } };

        var (launch, _) = await LaunchAsync(driver, "[]", gateway: false);

        launch.Argv.ShouldBeNull();
        launch.Error.ShouldNotBeNull().ShouldContain("need Drover's gateway ([gateway] enabled = true");
    }

    [Fact]
    public async Task Codex_AskRule_RefusesToRunUnasked()
    {
        var (launch, _) = await LaunchAsync(new CodexDriver(Installed), """["ask Bash(git push*)"]""");

        launch.Argv.ShouldBeNull();
        launch.Error.ShouldBe("Drover cannot answer codex's tool calls one by one, so tool approval rules that ask or deny cannot be enforced " +
            "(run the job with engine claude, or give it only allow rules)");
    }

    [Fact]
    public async Task Codex_OnlyAllowRules_Runs()
    {
        var (launch, _) = await LaunchAsync(new CodexDriver(Installed), """["allow Bash"]""");

        launch.Error.ShouldBeNull();
        launch.Argv!.ShouldContain("--dangerously-bypass-approvals-and-sandbox");
    }
}
