using Drover.Core.Configuration;
using Drover.Engines.Agents;
using Drover.Engines.Attempts;
using Drover.Engines.Tests.Attempts;

namespace Drover.Engines.Tests.Agents;

/// <summary>
/// How each agent driver points its CLI at Drover's gateway, and that <c>[engines.NAME] gateway = false</c> leaves the
/// CLI on its own provider (the user's credentials, no gateway URL anywhere in its environment or config).
/// </summary>
public sealed class GatewayWiringTests : IDisposable
{
    private static readonly GatewayEndpoint Gateway = new("http://127.0.0.1:8731/v1", "dgw_attemptkey", new HashSet<string> { "anthropic", "openai" });
    private readonly AttemptHarness _h = new();

    public void Dispose() => _h.Dispose();

    private async Task<(EngineLaunch Launch, string Home)> LaunchAsync(IEngineDriver driver)
    {
        var spec = await _h.SpecAsync("""{"engine": "claude", "prompt": "p", "model": "m1"}""");
        var run = Path.Combine(_h.Home, "runs", "1", "1");
        Directory.CreateDirectory(run);
        var prompt = Path.Combine(run, "prompt.md");
        await File.WriteAllTextAsync(prompt, "p", TestContext.Current.CancellationToken);
        var context = new AttemptContext(AttemptHarness.Job(spec), spec, _h.Home, _h.KillGrace, _h.Sink);
        var launch = driver.Launch(new EngineRequest(context, _h.Repo, prompt) { Gateway = Gateway });
        launch.Error.ShouldBeNull();
        return (launch, Path.Combine(run, "agent-home"));
    }

    private static EngineConfig Config(bool? gateway) => new() { Path = "/bin/true", Gateway = gateway };

    [Theory]
    [InlineData(null)]
    [InlineData(false)]
    public async Task Claude_BaseUrlAndAttemptKey_OnlyWhenTheGatewayIsNotSwitchedOff(bool? gateway)
    {
        var (launch, _) = await LaunchAsync(new ClaudeDriver(Config(gateway)));
        if (gateway is false)
        {
            launch.Environment.ContainsKey("ANTHROPIC_BASE_URL").ShouldBeFalse();
            launch.Environment.Values.ShouldNotContain("dgw_attemptkey");
        }
        else
        {
            launch.Environment["ANTHROPIC_BASE_URL"].ShouldBe("http://127.0.0.1:8731");
            launch.Environment["ANTHROPIC_API_KEY"].ShouldBe("dgw_attemptkey");
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData(false)]
    public async Task Codex_ModelProviderOnTheGateway_OnlyWhenNotSwitchedOff(bool? gateway)
    {
        var (_, home) = await LaunchAsync(new CodexDriver(Config(gateway)));
        var config = await File.ReadAllTextAsync(Path.Combine(home, "config.toml"), TestContext.Current.CancellationToken);
        if (gateway is false)
        {
            config.ShouldNotContain("model_provider");
            config.ShouldNotContain("8731");
        }
        else
        {
            config.ShouldContain("model_provider = \"drover\"");
            config.ShouldContain("base_url = \"http://127.0.0.1:8731/v1\"");
            config.ShouldNotContain("dgw_attemptkey"); // the key comes from the environment, never a file
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData(false)]
    public async Task OpenCode_ProviderConfigOnTheGateway_OnlyWhenNotSwitchedOff(bool? gateway)
    {
        var (launch, home) = await LaunchAsync(new OpenCodeDriver(Config(gateway)));
        var file = Path.Combine(home, "config", "opencode", "opencode.json");
        if (gateway is false)
        {
            (File.Exists(file) && (await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken)).Contains("8731", StringComparison.Ordinal)).ShouldBeFalse();
            launch.Argv!.ShouldContain("m1");
        }
        else
        {
            var json = await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken);
            json.ShouldContain("\"baseURL\":\"http://127.0.0.1:8731/v1\"");
            json.ShouldContain("{env:DROVER_GATEWAY_KEY}");
            json.ShouldNotContain("dgw_attemptkey");
            launch.Argv!.ShouldContain("drover/m1");
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData(false)]
    public async Task Qwen_OpenAiBaseUrlAndKey_OnlyWhenNotSwitchedOff(bool? gateway)
    {
        var (launch, _) = await LaunchAsync(new QwenDriver(Config(gateway)));
        if (gateway is false)
        {
            launch.Environment.ContainsKey("OPENAI_BASE_URL").ShouldBeFalse();
            launch.Environment.Values.ShouldNotContain("dgw_attemptkey");
        }
        else
        {
            launch.Environment["OPENAI_BASE_URL"].ShouldBe("http://127.0.0.1:8731/v1");
            launch.Environment["OPENAI_API_KEY"].ShouldBe("dgw_attemptkey");
            launch.Environment["OPENAI_MODEL"].ShouldBe("m1");
        }
    }
}
