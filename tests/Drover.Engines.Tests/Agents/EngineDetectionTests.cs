using Drover.Core.Configuration;
using Drover.Engines.Agents;
using Drover.Engines.Tests.Support;

namespace Drover.Engines.Tests.Agents;

/// <summary>Finding an agent CLI and its version with a real executable (a script standing in for it).</summary>
public sealed class EngineDetectionTests : IDisposable
{
    private readonly TempDir _dir = new();

    private string Script(string name, string body)
    {
        var path = _dir.Combine(name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    [Fact]
    public async Task Detect_VersionOnStdout_GivesPathVersionAndCapabilities()
    {
        var path = Script("claude", "echo '2.1.330 (Claude Code)'");

        var info = await new ClaudeDriver(new EngineConfig { Path = path }).DetectAsync(TestContext.Current.CancellationToken);

        info.ShouldBe(new EngineInfo("claude", path, "2.1.330", null));
        info.Capabilities.ShouldBe(["engine:claude", "engine:claude=2.1.330"]);
        Core.Scheduling.CapabilityMatcher.Satisfies(info.Capabilities, ["engine:claude>=2.1"]).ShouldBeTrue();
        Core.Scheduling.CapabilityMatcher.Satisfies(info.Capabilities, ["engine:claude>=3"]).ShouldBeFalse();
    }

    [Fact]
    public async Task Detect_CodexStyleVersionLine_IsParsed()
    {
        var info = await new CodexDriver(new EngineConfig { Path = Script("codex", "echo 'codex-cli 0.169.0'") }).DetectAsync(TestContext.Current.CancellationToken);

        info.Version.ShouldBe("0.169.0");
    }

    [Fact]
    public async Task Detect_Missing_SaysWhereItLookedAndOffersNothing()
    {
        var info = await new QwenDriver(new EngineConfig { Path = _dir.Combine("nope") }).DetectAsync(TestContext.Current.CancellationToken);

        info.Path.ShouldBeNull();
        info.Error.ShouldNotBeNull().ShouldContain("not found");
        info.Capabilities.ShouldBeEmpty();
    }

    [Fact]
    public async Task Detect_VersionFails_IsUsableButWithoutAVersion()
    {
        var path = Script("opencode", "echo 'error: cannot load config' >&2; exit 3");

        var info = await new OpenCodeDriver(new EngineConfig { Path = path }).DetectAsync(TestContext.Current.CancellationToken);

        info.Path.ShouldBe(path);
        info.Version.ShouldBeNull();
        info.Error.ShouldNotBeNull().ShouldContain("exited 3");
        info.Capabilities.ShouldBe(["engine:opencode"]);
    }

    [Fact]
    public void All_RegistersEveryBuiltIn_AndACustomEngineTakesTheNameItIsGiven()
    {
        var drivers = EngineDrivers.All(new Dictionary<string, EngineConfig>
        {
            ["codex"] = new() { Command = ["my-codex-wrapper", "{prompt_file}"], Usage = "codex" },
            ["mytool"] = new() { Command = ["mytool"] },
            ["claude"] = new() { Model = "opus" },
        });

        drivers.Select(d => d.Name).ShouldBe(["shell", "claude", "opencode", "qwen", "gemini", "aider", "codex", "mytool"], ignoreOrder: true);
        drivers.Single(d => d.Name == "codex").ShouldBeOfType<CustomEngineDriver>();
        drivers.Single(d => d.Name == "claude").ShouldBeOfType<ClaudeDriver>();
    }

    [Fact]
    public void CustomEngine_UnknownUsage_FailsAtStartNotOnTheFirstJob() =>
        Should.Throw<ArgumentException>(() => new CustomEngineDriver("x", new EngineConfig { Command = ["x"], Usage = "magic" }))
            .Message.ShouldContain("usage \"magic\"");

    [Fact]
    public async Task Detect_CustomEngine_FindsItsProgramWithoutRunningIt()
    {
        var marker = _dir.Combine("ran");
        var path = Script("mytool", $"touch '{marker}'");

        var found = await new CustomEngineDriver("mytool", new EngineConfig { Command = [path, "{prompt_file}"] }).DetectAsync(TestContext.Current.CancellationToken);
        var missing = await new CustomEngineDriver("ghost", new EngineConfig { Command = ["no-such-program-anywhere"] }).DetectAsync(TestContext.Current.CancellationToken);
        var perRun = await new CustomEngineDriver("local", new EngineConfig { Command = ["{workspace}/run.sh"] }).DetectAsync(TestContext.Current.CancellationToken);

        found.ShouldBe(new EngineInfo("mytool", path, null, null));
        found.Capabilities.ShouldBe(["engine:mytool"]);
        File.Exists(marker).ShouldBeFalse();
        missing.Path.ShouldBeNull();
        missing.Error.ShouldNotBeNull().ShouldContain("no-such-program-anywhere not found on PATH");
        perRun.Capabilities.ShouldBe(["engine:local"]);
    }

    [Fact]
    public async Task DetectAll_IncludesGeminiAiderAndCustomEngines()
    {
        var infos = await EngineDrivers.DetectAsync(
            new Dictionary<string, EngineConfig>
            {
                ["gemini"] = new() { Path = Script("gemini", "echo 0.9.0") },
                ["aider"] = new() { Path = Script("aider", "echo 'aider 0.86.1'") },
                ["mytool"] = new() { Command = [Script("mytool", "exit 1")] },
            },
            TestContext.Current.CancellationToken);

        infos.Single(i => i.Name == "gemini").Version.ShouldBe("0.9.0");
        infos.Single(i => i.Name == "aider").Version.ShouldBe("0.86.1");
        infos.Single(i => i.Name == "mytool").Error.ShouldBeNull();
        infos.ShouldNotContain(i => i.Name == "shell");
    }

    public void Dispose() => _dir.Dispose();
}
