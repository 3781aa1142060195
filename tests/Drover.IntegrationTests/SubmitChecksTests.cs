using System.Net;
using System.Text;
using System.Text.Json;

namespace Drover.IntegrationTests;

/// <summary>What submit refuses up front (unknown engines, every spec error at once, a repo-less API job) and what it says.</summary>
public sealed class SubmitChecksTests
{
    [Fact]
    public async Task Submit_MisspeltEngineWithCommand_Exit2BlamingEngineWithSuggestion()
    {
        using var t = new TestHome();

        var r = await t.Cli.RunInAsync(t.Scratch, "submit", "--engine", "claud", "--command", "echo hi");

        r.ExitCode.ShouldBe(2, r.ToString());
        r.Stderr.ShouldContain("engine: unknown engine \"claud\" (did you mean claude?)");
        r.Stderr.ShouldNotContain("command: only valid");
    }

    [Fact]
    public async Task Submit_SeveralBadFields_Exit2WithEveryErrorOnItsOwnLine()
    {
        using var t = new TestHome();

        var r = await t.Cli.RunInAsync(t.Scratch, "submit", "p", "--engine", "claud", "--timeout", "soon", "--priority", "urgent");

        r.ExitCode.ShouldBe(2, r.ToString());
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.ShouldContain(l => l.Contains("engine: unknown engine \"claud\"", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("timeout: \"soon\" is not a duration", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("priority: \"urgent\" is not a priority", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Http_SpecWithSeveralErrorsOrNoRepo_400WithFirstErrorAndAllErrors()
    {
        using var t = new TestHome();
        await using var serve = t.Cli.Start("serve", "--port", "0", "--slots", "0");
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        using var http = t.Http(url);
        var ct = TestContext.Current.CancellationToken;
        var repo = JsonSerializer.Serialize(t.Scratch);

        using (var resp = await http.PostAsync(new Uri("/api/jobs", UriKind.Relative), new StringContent($$"""{"engine": "codexx", "prompt": "p", "timeout": "soon", "repo": {{repo}}}""", Encoding.UTF8, "application/json"), ct))
        {
            resp.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            using var doc = JsonDocument.Parse(await resp.Content.ReadAsStringAsync(ct));
            doc.RootElement.GetProperty("field").GetString().ShouldBe("engine");
            doc.RootElement.GetProperty("error").GetString()!.ShouldContain("did you mean codex?");
            doc.RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ShouldBe(["engine", "timeout"]);
        }

        using (var resp = await http.PostAsync(new Uri("/api/jobs", UriKind.Relative), new StringContent("""{"command": "true"}""", Encoding.UTF8, "application/json"), ct))
        {
            resp.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            using var doc = JsonDocument.Parse(await resp.Content.ReadAsStringAsync(ct));
            doc.RootElement.GetProperty("field").GetString().ShouldBe("repo");
            doc.RootElement.GetProperty("error").GetString()!.ShouldContain("required");
        }

        // The CLI still defaults to the directory it runs in, sent explicitly.
        var cli = await t.Cli.RunInAsync(t.Scratch, "submit", "--command", "true", "--json");
        cli.ExitCode.ShouldBe(0, cli.ToString());
        cli.Json.GetProperty("spec").GetProperty("repo").GetString().ShouldBe(t.Scratch);
    }

    [Fact]
    public async Task Commands_InvalidConfigWhileServerRuns_Exit2NamingFileAndKey()
    {
        using var t = new TestHome();
        var config = Path.Combine(t.Home, "drover.toml");
        File.WriteAllText(config, "[profiles.careful]\nverify = \"true\"\n");
        await using var serve = t.Cli.Start("serve", "--port", "0", "--slots", "0");
        await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        File.WriteAllText(config, "[profiles.careful]\nverify = \"true\"\n[worker]\nslots = 2\nbogus = 1\n");

        foreach (var args in new[] { new[] { "ls" }, ["status"], ["submit", "--command", "true", "--profile", "careful"] })
        {
            var r = await t.Cli.RunInAsync(t.Scratch, args);
            r.ExitCode.ShouldBe(2, string.Join(' ', args) + "\n" + r);
            r.Stderr.ShouldContain("drover.toml");
            r.Stderr.ShouldContain("bogus");
        }
    }

    [Fact]
    public async Task ReadCommands_HomeThatDoesNotExist_Exit2AndCreateNothing()
    {
        using var t = new TestHome();
        var typo = Path.Combine(t.Root, "hoem");

        foreach (var args in new[] { new[] { "ls" }, ["show", "1"], ["status"], ["workers"], ["logs", "1"], ["usage"] })
        {
            var r = await t.Cli.RunAsync([.. args, "--home", typo]);
            r.ExitCode.ShouldBe(2, string.Join(' ', args) + "\n" + r);
            r.Stderr.ShouldContain($"no Drover home at {typo} (run drover init, or check --home)");
        }

        Directory.Exists(typo).ShouldBeFalse("a read command creates no home");
    }

    [Fact]
    public async Task SubmitWait_RetriedJobThroughServer_SaysEachAttemptAndTheBackoffOnStderr()
    {
        using var t = new TestHome();
        await using var serve = t.Cli.Start("serve", "--port", "0", "--slots", "1", "--heartbeat", "1s");
        await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));

        var r = await t.Cli.RunInAsync(t.Scratch, "submit", "--command", "sleep 1; exit 3", "--max-attempts", "2", "--backoff", "2s", "--wait");

        r.ExitCode.ShouldBe(1, r.ToString());
        r.Stderr.ShouldContain("attempt 1/2 started on worker ");
        r.Stderr.ShouldContain("waiting: backoff until ");
        r.Stderr.ShouldContain("attempt 2/2 started on worker ");
    }

    [Fact]
    public async Task SubmitWait_ServerKilledWhileWaiting_Exit4SayingSo()
    {
        using var t = new TestHome();
        await using var serve = t.Cli.Start("serve", "--port", "0", "--slots", "1", "--heartbeat", "1s");
        await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));

        var waiting = t.Cli.RunInAsync(t.Scratch, "submit", "--command", "sleep 20", "--wait");
        await t.WaitForJobAsync(1, j => j.GetProperty("state").GetString() == "running", TimeSpan.FromSeconds(60));
        serve.Signal(Native.SIGKILL);
        var r = await waiting;

        r.ExitCode.ShouldBe(4, r.ToString());
        r.Stderr.ShouldContain("the Drover server stopped answering while job 1 was running");
    }

    [Fact]
    public async Task SubmitWait_ServerKilledJustBefore_GivesUpWithAMessage()
    {
        using var t = new TestHome();
        // The CLI counts a worker live for 3 heartbeats of its config (15 s): the dead serve's worker still looks live
        // when submit starts, so no in-process worker takes the job, the bug's situation.
        File.WriteAllText(Path.Combine(t.Home, "drover.toml"), "[worker]\nheartbeat = \"5s\"\n");
        await using (var serve = t.Cli.Start("serve", "--port", "0", "--slots", "1", "--heartbeat", "1s", "--lease-ttl", "3s"))
        {
            await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!(await t.Cli.RunAsync("workers", "--json")).Stdout.Contains("\"idle\"", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
                await Task.Delay(200, TestContext.Current.CancellationToken);
            serve.Signal(Native.SIGKILL);
            (await serve.WaitForExitAsync(TimeSpan.FromSeconds(10))).ShouldBeTrue();
        }

        var started = DateTime.UtcNow;
        var r = await t.Cli.RunInAsync(t.Scratch, "submit", "--command", "echo never", "--wait");

        r.ExitCode.ShouldBe(1, r.ToString());
        r.Stderr.ShouldContain("no live worker");
        r.Stderr.ShouldContain("drover serve");
        (DateTime.UtcNow - started).ShouldBeLessThan(TimeSpan.FromSeconds(100));
    }
}
