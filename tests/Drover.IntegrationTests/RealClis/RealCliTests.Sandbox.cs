namespace Drover.IntegrationTests.RealClis;

/// <summary>The real CLIs in their sandbox (SPEC §13): the model makes the agent look around, and it finds nothing of Drover.</summary>
public sealed partial class RealCliTests
{
    private const string WorkerValue = "worker-only-value-7f3a9c";

    [Theory]
    [InlineData("codex")]
    [InlineData("claude")]
    public async Task Sandboxed_ThroughTheGateway_TheAgentsShellSeesNothingOfDroverYetDoesItsWork(string engine)
    {
        if (Drover.Engines.Sandbox.AttemptSandbox.Probe("/usr/bin/bwrap") is { } why)
            Assert.Skip("no sandbox on this host: " + why);
        _t.Cli.Env["DROVER_PROBE_VARIABLE"] = WorkerValue;
        (await _t.Cli.RunAsync("secret", "set", "PROBE_SECRET", "a-stored-secret-value-1234")).ExitCode.ShouldBe(0);
        await ServeThroughGatewayAsync();
        var home = _t.Home;
        var probe =
            $"{{ for f in token secrets drover.db drover.toml; do if [ -e '{home}'/$f ]; then echo $f-visible; else echo $f-hidden; fi; done; " +
            $"if env | grep -q {WorkerValue}; then echo env-leaked; else echo env-clean; fi; " +
            $"bash -c '(exec 3<>/dev/tcp/127.0.0.1/{Model.Port}) 2>/dev/null' && echo model-reachable || echo model-unreachable; " +
            "printf 'hello from agent\\n' > hello.txt; } > probe.txt 2>&1";
        Model.Script(
            new RunShell(probe, new FakeUsage(100, 0, 0, 10, 0)),
            new SayDone("Done.", new FakeUsage(120, 0, 0, 10, 0)));
        foreach (var file in new[] { "token", "secrets", "drover.db", "drover.toml" })
            File.Exists(Path.Combine(home, file)).ShouldBeTrue($"{file} exists on the host, so hidden means hidden");

        var r = await SubmitAsync(engine);

        r.ExitCode.ShouldBe(0, Explain(r));
        OnBranch(r.Json, "hello.txt").ShouldBe("hello from agent\n");
        var seen = OnBranch(r.Json, "probe.txt").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        seen.ShouldBe(["token-hidden", "secrets-hidden", "drover.db-hidden", "drover.toml-hidden", "env-clean", "model-unreachable"], Explain(r));
        var id = r.Json.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
        File.ReadAllText(Path.Combine(home, "runs", id, "1", "log")).ShouldContain("sandbox: confined (network gateway)");
    }
}
