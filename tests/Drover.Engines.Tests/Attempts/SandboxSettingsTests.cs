using Drover.Core.Configuration;
using Drover.Engines.Attempts;
using Drover.Engines.Sandbox;

namespace Drover.Engines.Tests.Attempts;

/// <summary>Each <c>[sandbox]</c> setting, seen from inside a real attempt: mode, pass_env, read_only and read_write.</summary>
public sealed class SandboxSettingsTests : IDisposable
{
    // Set once for the test process; names no other test uses.
    private const string Passed = "DROVER_TEST_PASSED_VARIABLE";
    private const string Kept = "DROVER_TEST_WORKER_ONLY_VARIABLE";

    private readonly AttemptHarness _h = new();

    static SandboxSettingsTests()
    {
        Environment.SetEnvironmentVariable(Passed, "passed-value");
        Environment.SetEnvironmentVariable(Kept, "worker-only-value");
    }

    private void Use(SandboxConfig config, bool needsBwrap = true)
    {
        if (needsBwrap && AttemptSandbox.Probe(Bubblewrap.DefaultPath) is { } why)
            Assert.Skip("no sandbox on this host: " + why);
        _h.Runner = new ShellAttemptRunner(sandbox: AttemptSandbox.ForHost(config, _h.Home, null));
    }

    private async Task<string> OutputAsync(string command)
    {
        var report = await _h.RunAsync(AttemptHarness.Shell(command, "\"repo\": " + AttemptHarness.Quote(_h.Plain)));
        return string.Join('\n', _h.LogLines()) + "\n" + report.Outcome.Reason;
    }

    [Fact]
    public async Task PassEnv_NamedVariableReachesTheAgent_OthersDoNot()
    {
        Use(new SandboxConfig { PassEnv = [Passed] });

        var output = await OutputAsync($"echo \"passed=${Passed} kept=${Kept} home=$HOME\"");

        output.ShouldContain("passed=passed-value kept= home=" + Path.Combine(_h.RunDir(), "agent-home"));
    }

    [Fact]
    public async Task ModeOff_TheAgentGetsTheWorkersWholeEnvironmentAndFiles()
    {
        Use(new SandboxConfig { Mode = SandboxMode.Off }, needsBwrap: false);
        File.WriteAllText(Path.Combine(_h.Home, "token"), "drv_token_value");

        var output = await OutputAsync($"echo \"kept=${Kept}\"; cat '{Path.Combine(_h.Home, "token")}'");

        output.ShouldContain("kept=worker-only-value");
        output.ShouldContain("drv_token_value");
        output.ShouldNotContain("sandbox: confined");
    }

    [Fact]
    public async Task ReadOnlyAndReadWrite_ConfiguredPathsUnderAHiddenTree_AreVisibleAsConfigured()
    {
        var shared = Directory.CreateDirectory(Path.Combine(_h.Home, "shared-ro")).FullName;
        var cache = Directory.CreateDirectory(Path.Combine(_h.Home, "cache-rw")).FullName;
        File.WriteAllText(Path.Combine(shared, "data.txt"), "shared data");
        Use(new SandboxConfig { ReadOnly = [shared], ReadWrite = [cache] });

        var output = await OutputAsync(
            $"cat '{shared}/data.txt'; touch '{shared}/x' 2>/dev/null && echo RO-WRITABLE; echo cached > '{cache}/c.txt' && echo RW-OK; " +
            $"cat '{Path.Combine(_h.Home, "drover.db")}' 2>/dev/null; ls '{_h.Home}'");

        output.ShouldContain("shared data");
        output.ShouldNotContain("RO-WRITABLE");
        output.ShouldContain("RW-OK");
        File.ReadAllText(Path.Combine(cache, "c.txt")).ShouldBe("cached\n");
        File.Exists(Path.Combine(shared, "x")).ShouldBeFalse();
    }

    public void Dispose() => _h.Dispose();
}
