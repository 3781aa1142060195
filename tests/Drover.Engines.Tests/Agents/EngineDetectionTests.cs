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

    public void Dispose() => _dir.Dispose();
}
