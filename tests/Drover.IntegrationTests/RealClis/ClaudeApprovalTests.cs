using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Drover.IntegrationTests.RealClis;

/// <summary>
/// Tool approvals (SPEC §13) with the real claude CLI against the fake model, through the gateway, inside a loopback
/// network namespace: the model asks for <c>touch asked.txt</c>, a rule says ask, and a person (the CLI), or nobody
/// (the timeout), decides. Claude asks Drover's MCP endpoint through <c>--permission-prompt-tool</c>.
/// </summary>
public sealed class ClaudeApprovalTests : IAsyncLifetime
{
    private const string Touch = "touch asked.txt";
    private readonly TestHome _t = new();
    private LoopbackNetwork? _net;
    private FakeModelServer? _model;
    private BackgroundProcess? _serve;

    private string Repo => Path.Combine(_t.Root, "repo");

    private FakeModelServer Model => _model!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _net = LoopbackNetwork.Create();
        _model = await FakeModelServer.StartAsync(_net.Listen());
        _t.Cli.Prefix = _net.Prefix;
        Git(_t.Root, "init", "-q", "-b", "main", Repo);
        await File.WriteAllTextAsync(Path.Combine(Repo, "README.md"), "demo\n", Ct);
        Git(Repo, "add", ".");
        Git(Repo, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qm", "init");
    }

    private async Task ServeAsync(string approvals, int touches = 1)
    {
        var claude = await AgentClis.BinaryAsync(AgentClis.ClaudePackage, "claude");
        await File.WriteAllTextAsync(Path.Combine(_t.Home, "drover.toml"), $$"""
            [gateway]
            enabled = true
            first_byte_timeout = "10s"

            [approvals]
            {{approvals}}

            [engines.claude]
            path = {{JsonSerializer.Serialize(claude)}}
            model = "claude-sonnet-4-5"

            [[providers]]
            name = "anthropic-fake"
            kind = "anthropic"
            base_url = "{{Model.Url}}/v1"
            models = ["claude-sonnet-4-5"]
            health_check = false
            """, Ct);
        _serve = _t.Cli.Start(["serve", "--port", "0", "--slots", "1"]);
        await _t.WaitForServerAsync(_serve, TimeSpan.FromSeconds(60));
        for (var i = 0; i < touches; i++)
            Model.Script(new RunShell(Touch, new FakeUsage(100, 0, 0, 10, 0)));
        Model.Script(new SayDone("Done.", new FakeUsage(100, 0, 0, 10, 0)));
    }

    private async Task<long> SubmitAsync(params string[] extra)
    {
        var r = await _t.Cli.RunAsync(["submit", "Create asked.txt.", "--engine", "claude", "--repo", Repo, "--timeout", "90s",
            "--max-attempts", "1", "--json", .. extra]);
        r.ExitCode.ShouldBe(0, r.ToString());
        return r.Json.GetProperty("id").GetInt64();
    }

    /// <summary>The first pending tool call of the job, as <c>drover approvals --json</c> lists it.</summary>
    private async Task<JsonElement> PendingAsync(long job)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var r = await _t.Cli.RunAsync("approvals", "--job", job.ToString(CultureInfo.InvariantCulture), "--json");
            r.ExitCode.ShouldBe(0, r.ToString());
            if (r.Json.GetProperty("approvals").EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } first)
                return first;
            await Task.Delay(200, Ct);
        }

        throw new TimeoutException($"no tool call of job {job} waited for a decision\n{Explain()}");
    }

    private Task<JsonElement> EndedAsync(long job) =>
        _t.WaitForJobAsync(job, j => j.GetProperty("state").GetString() is "succeeded" or "failed", TimeSpan.FromSeconds(90));

    [Fact]
    public async Task ApproveTool_Deny_ClaudeGetsTheDenialAndTheDecisionIsAnEvent()
    {
        await ServeAsync("""rules = ["ask Bash(touch *)"]""");
        var id = await SubmitAsync();

        var pending = await PendingAsync(id);
        var show = (await _t.Cli.RunAsync("show", id.ToString(CultureInfo.InvariantCulture), "--json")).Json;
        var text = await _t.Cli.RunAsync("show", id.ToString(CultureInfo.InvariantCulture));
        var call = pending.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture);
        var denied = await _t.Cli.RunAsync("approve-tool", call, "deny", "--json");
        var job = await EndedAsync(id);
        var again = await _t.Cli.RunAsync("approve-tool", call, "allow");
        var unknown = await _t.Cli.RunAsync("approve-tool", "999999", "allow");

        (pending.GetProperty("tool").GetString(), pending.GetProperty("pattern").GetString()).ShouldBe(("Bash", "Bash(touch asked.txt)"));
        pending.GetProperty("arguments").GetString()!.ShouldContain(Touch);
        show.GetProperty("why").GetString()!.ShouldContain($"tool call {call}");
        show.GetProperty("pending_approvals")[0].GetProperty("id").GetInt64().ShouldBe(pending.GetProperty("id").GetInt64());
        text.Stdout.ShouldContain("tool calls waiting for a person");
        denied.ExitCode.ShouldBe(0, denied.ToString());
        denied.Json.GetProperty("decided_by").GetString().ShouldBe("cli");
        job.GetProperty("state").GetString().ShouldBe("failed", Explain());
        job.GetProperty("reason").GetString().ShouldBe("tool calls were denied: Bash");
        File.Exists(Path.Combine(_t.Home, "work", id.ToString(CultureInfo.InvariantCulture), "asked.txt")).ShouldBeFalse();
        Model.Bodies[^1].ShouldContain("Drover denied this tool call");
        var decided = job.GetProperty("events").EnumerateArray().Single(e => e.GetProperty("type").GetString() == "approval.decided");
        decided.GetProperty("data").GetProperty("by").GetString().ShouldBe("cli");
        decided.GetProperty("data").GetProperty("decision").GetString().ShouldBe("deny");
        again.ExitCode.ShouldBe(1, again.ToString());
        again.Stderr.ShouldContain("already decided: deny by cli");
        unknown.ExitCode.ShouldBe(3, unknown.ToString());
        unknown.Stderr.ShouldContain("tool approval 999999 not found");
    }

    [Fact]
    public async Task ApproveTool_AlwaysAllowAfterLongerThanTheStallTimeout_TheFileIsCreatedAndTheSameCallIsNotAskedAgain()
    {
        // The job's own rule (the config has none): a job's approvals work alone. Claude is silent while it waits;
        // a 3 s stall timeout must not kill it during a 6 s wait. The model then runs the same command again.
        await ServeAsync("timeout = \"1m\"", touches: 2);
        var spec = Path.Combine(_t.Root, "job.md");
        await File.WriteAllTextAsync(spec, $"---\napprovals: [\"ask Bash(touch *)\"]\n---\nCreate asked.txt.\n", Ct);
        var id = await SubmitAsync("--file", spec, "--stall-timeout", "3s");

        var pending = await PendingAsync(id);
        await Task.Delay(TimeSpan.FromSeconds(6), Ct);
        var allowed = await _t.Cli.RunAsync("approve-tool", pending.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture), "allow", "--always");
        var job = await EndedAsync(id);

        allowed.ExitCode.ShouldBe(0, allowed.ToString());
        allowed.Stdout.ShouldContain("allowed: Bash(touch asked.txt) (from now on for this job)");
        job.GetProperty("state").GetString().ShouldBe("succeeded", Explain());
        Model.Bodies.Count(b => b.Contains("tool_result", StringComparison.Ordinal)).ShouldBeGreaterThanOrEqualTo(2, "both calls ran");
        var all = (await _t.Cli.RunAsync("approvals", "--job", id.ToString(CultureInfo.InvariantCulture), "--all", "--json")).Json.GetProperty("approvals");
        all.GetArrayLength().ShouldBe(1, "the second, identical call was allowed by the --always rule without asking");
        Git(Repo, "show", $"{job.GetProperty("branch").GetString()}:asked.txt").ShouldBe("");
    }

    [Fact]
    public async Task NoAnswer_WithinTheTimeout_IsDeniedByTimeout()
    {
        await ServeAsync("rules = [{ tool = \"Bash(touch *)\", action = \"ask\" }]\ntimeout = \"3s\"");
        var id = await SubmitAsync();

        var job = await EndedAsync(id);

        job.GetProperty("state").GetString().ShouldBe("failed", Explain());
        var all = (await _t.Cli.RunAsync("approvals", "--job", id.ToString(CultureInfo.InvariantCulture), "--all", "--json")).Json.GetProperty("approvals");
        all.GetArrayLength().ShouldBe(1);
        (all[0].GetProperty("decision").GetString(), all[0].GetProperty("decided_by").GetString()).ShouldBe(("deny", "timeout"));
        File.Exists(Path.Combine(_t.Home, "work", id.ToString(CultureInfo.InvariantCulture), "asked.txt")).ShouldBeFalse();
        Model.Bodies[^1].ShouldContain("nobody answered in time");
    }

    private string Explain()
    {
        var runs = Path.Combine(_t.Home, "runs");
        var logs = Directory.Exists(runs)
            ? string.Join("\n", Directory.EnumerateFiles(runs, "*", SearchOption.AllDirectories)
                .Where(f => f.EndsWith("log", StringComparison.Ordinal) || f.EndsWith(".jsonl", StringComparison.Ordinal))
                .Select(f => $"== {f}\n{File.ReadAllText(f)}"))
            : "(no runs)";
        return $"model requests: {string.Join(", ", Model.Requests)}\nserve:\n{_serve?.Output}\nlogs:\n{logs}";
    }

    private static string Git(string cwd, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true };
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

    public async ValueTask DisposeAsync()
    {
        if (_serve is not null)
            await _serve.DisposeAsync();
        if (_model is not null)
            await _model.DisposeAsync();
        _net?.Dispose();
        _t.Dispose();
    }
}
