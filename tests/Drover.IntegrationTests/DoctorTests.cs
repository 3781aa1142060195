using System.Text.Json;

namespace Drover.IntegrationTests;

/// <summary><c>drover doctor</c> run as the real binary, with stand-in agent CLIs first on its PATH.</summary>
public sealed class DoctorTests
{
    private static void FakeCli(string dir, string name, string body)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static void UseBin(TestHome t, string bin) =>
        t.Cli.Env["PATH"] = bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");

    private static Dictionary<string, JsonElement> Checks(CliResult r) =>
        r.Json.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("check").GetString()!);

    private static string Status(Dictionary<string, JsonElement> checks, string name) => checks[name].GetProperty("status").GetString()!;

    private static string Detail(Dictionary<string, JsonElement> checks, string name) => checks[name].GetProperty("detail").GetString()!;

    [Fact]
    public async Task Doctor_Sandbox_SaysWhetherAttemptsAreConfinedAndWhyNot()
    {
        using var t = new TestHome();
        (await t.Cli.RunAsync("init")).ExitCode.ShouldBe(0);
        var confined = Checks(await t.Cli.RunAsync("doctor", "--json"));
        if (Drover.Engines.Sandbox.AttemptSandbox.Probe("/usr/bin/bwrap") is null)
        {
            Status(confined, "sandbox").ShouldBe("ok");
            Detail(confined, "sandbox").ShouldContain("attempts run in bubblewrap");
        }

        await File.WriteAllTextAsync(Path.Combine(t.Home, "drover.toml"), "[sandbox]\nmode = \"required\"\nbwrap = \"/nonexistent/bwrap\"\n", TestContext.Current.CancellationToken);
        var required = await t.Cli.RunAsync("doctor", "--json");
        Status(Checks(required), "sandbox").ShouldBe("fail");
        Detail(Checks(required), "sandbox").ShouldContain("/nonexistent/bwrap is missing (apt-get install bubblewrap); [sandbox] mode = \"required\", so workers here claim no jobs");

        await File.WriteAllTextAsync(Path.Combine(t.Home, "drover.toml"), "[sandbox]\nbwrap = \"/nonexistent/bwrap\"\n", TestContext.Current.CancellationToken);
        var auto = Checks(await t.Cli.RunAsync("doctor", "--json"));
        Status(auto, "sandbox").ShouldBe("warn");
        Detail(auto, "sandbox").ShouldContain("attempts run unconfined");
    }

    [Fact]
    public async Task Doctor_Forges_SayWhetherEachTokenIsSetWithoutShowingIt()
    {
        using var t = new TestHome();
        (await t.Cli.RunAsync("init")).ExitCode.ShouldBe(0);
        await File.WriteAllTextAsync(Path.Combine(t.Home, "drover.toml"), """
            [[forges]]
            host = "github.com"
            kind = "github"
            token_secret = "GH_TOKEN"

            [[forges]]
            host = "git.example.com"
            kind = "gitea"
            base_url = "https://git.example.com"
            token_secret = "GITEA_TOKEN"
            """, TestContext.Current.CancellationToken);
        (await t.Cli.RunAsync("secret", "set", "GH_TOKEN", "ghp_doctor_must_not_show_this")).ExitCode.ShouldBe(0);

        var r = await t.Cli.RunAsync("doctor", "--json");
        var checks = Checks(r);

        Status(checks, "forge github.com").ShouldBe("ok");
        Detail(checks, "forge github.com").ShouldContain("token GH_TOKEN set");
        Status(checks, "forge git.example.com").ShouldBe("fail");
        Detail(checks, "forge git.example.com").ShouldContain("drover secret set GITEA_TOKEN");
        r.Stdout.ShouldNotContain("ghp_doctor_must_not_show_this");
    }

    [Fact]
    public async Task Doctor_HealthyHomeWithStandInClis_PassesAndComparesVersions()
    {
        using var t = new TestHome();
        (await t.Cli.RunAsync("init")).ExitCode.ShouldBe(0);
        var bin = Path.Combine(t.Root, "bin");
        FakeCli(bin, "codex", "echo 'codex-cli 0.169.0'");
        FakeCli(bin, "claude", "echo '2.0.1 (Claude Code)'");
        FakeCli(bin, "gemini", "echo '0.9.0'");
        UseBin(t, bin);

        var r = await t.Cli.RunAsync("doctor", "--json");

        r.ExitCode.ShouldBe(0, r.ToString());
        r.Json.GetProperty("ok").GetBoolean().ShouldBeTrue();
        var checks = Checks(r);
        foreach (var name in new[] { "home", "config", "memory", "disk", "token", "store", "git" })
            Status(checks, name).ShouldBe("ok", name + ": " + Detail(checks, name));
        Detail(checks, "disk").ShouldContain("([fleet] min_free_disk = 2 GiB)");
        Status(checks, "engine codex").ShouldBe("ok");
        Detail(checks, "engine codex").ShouldBe($"0.169.0 at {Path.Combine(bin, "codex")} (tested)");
        Status(checks, "engine claude").ShouldBe("warn");
        Detail(checks, "engine claude").ShouldContain("tested with 2.1.330");
        Status(checks, "engine gemini").ShouldBe("warn");
        Detail(checks, "engine gemini").ShouldContain("no gemini version has been tested");
        Status(checks, "engine aider").ShouldBe("warn");
        Detail(checks, "engine aider").ShouldContain("not found on PATH");

        var text = await t.Cli.RunAsync("doctor");
        text.ExitCode.ShouldBe(0, text.ToString());
        var lines = text.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.ShouldContain(l => l.StartsWith("ok ", StringComparison.Ordinal) && l.Contains("engine codex") && l.Contains("0.169.0"));
        lines[^1].ShouldEndWith(", 0 fail");
    }

    [Fact]
    public async Task Doctor_BrokenSetup_NamesEachProblemAndExitsOne()
    {
        using var t = new TestHome();
        (await t.Cli.RunAsync("init")).ExitCode.ShouldBe(0);
        var bin = Path.Combine(t.Root, "bin");
        FakeCli(bin, "opencode", "echo 'error: cannot load config' >&2; exit 3");
        FakeCli(bin, "mytool", "exit 0");
        UseBin(t, bin);
        var config = Path.Combine(t.Home, "drover.toml");
        await File.AppendAllTextAsync(config, $"""

            [engines.qwen]
            path = "{Path.Combine(t.Root, "nowhere", "qwen")}"

            [engines.mytool]
            command = ["mytool", "--prompt-file", "{"{prompt_file}"}"]
            usage = "none"

            """, TestContext.Current.CancellationToken);
        File.SetUnixFileMode(Path.Combine(t.Home, "token"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var r = await t.Cli.RunAsync("doctor", "--json");

        r.ExitCode.ShouldBe(1, r.ToString());
        r.Json.GetProperty("ok").GetBoolean().ShouldBeFalse();
        var checks = Checks(r);
        Status(checks, "config").ShouldBe("ok", Detail(checks, "config"));
        Status(checks, "token").ShouldBe("fail");
        Detail(checks, "token").ShouldContain("chmod 600");
        Status(checks, "engine qwen").ShouldBe("fail");
        Detail(checks, "engine qwen").ShouldContain("configured in [engines.qwen]");
        Status(checks, "engine opencode").ShouldBe("fail");
        Detail(checks, "engine opencode").ShouldContain("exited 3");
        Status(checks, "engine mytool").ShouldBe("ok");
        Detail(checks, "engine mytool").ShouldContain("custom engine, usage none");

        var text = await t.Cli.RunAsync("doctor");
        text.ExitCode.ShouldBe(1, text.ToString());
        text.Stdout.ShouldContain("fail  token");
    }
}
