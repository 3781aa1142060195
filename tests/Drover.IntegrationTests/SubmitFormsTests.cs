using System.Globalization;
using System.Text.Json;

namespace Drover.IntegrationTests;

/// <summary>Every way to submit gives the same stored spec whether or not a server runs (one merge, in Core).</summary>
public sealed class SubmitFormsTests
{
    private const string Config = "[profiles.default]\nengine = \"claude\"\n";

    [Fact]
    public async Task Submit_EveryForm_StoresTheSameSpecWithAndWithoutAServer()
    {
        using var local = new TestHome();
        using var served = new TestHome();
        foreach (var t in new[] { local, served })
            File.WriteAllText(Path.Combine(t.Home, "drover.toml"), Config);
        var cwd = local.Scratch;
        var json = Path.Combine(local.Root, "job.json");
        File.WriteAllText(json, """{"engine": "shell", "command": "echo hi", "stall-timeout": "10m", "labels": {"team": "core"}}""");
        var md = Path.Combine(local.Root, "job.md");
        File.WriteAllText(md, "---\nengine: claude\nstall-timeout: 10m\nretry:\n  max-attempts: 5\n  backoff: 1m\nlabels:\n  team: core\n---\n# Tidy the README\n\nMake it shorter.\n");
        string[][] forms =
        [
            ["submit", "just a prompt"],
            ["submit", "with flags", "--engine", "codex", "--timeout", "45m", "--priority", "high", "--label", "team=core", "--max-attempts", "2", "--capability", "os:linux"],
            ["submit", "--file", json],
            ["submit", "--file", md],
            ["submit", "--file", md, "--stall-timeout", "5m", "--max-attempts", "2", "--label", "area=docs", "--priority", "low"],
        ];

        var withoutServer = new List<string>();
        foreach (var form in forms)
            withoutServer.Add(await SubmitAndShowSpecAsync(local, cwd, form));

        await using var serve = served.Cli.Start("serve", "--port", "0", "--slots", "0");
        await served.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        var withServer = new List<string>();
        foreach (var form in forms)
            withServer.Add(await SubmitAndShowSpecAsync(served, cwd, form));

        for (var i = 0; i < forms.Length; i++)
            withServer[i].ShouldBe(withoutServer[i], string.Join(' ', forms[i]));
        var overridden = JsonDocument.Parse(withServer[4]).RootElement;
        overridden.GetProperty("stall_timeout").GetDouble().ShouldBe(300, "the flag beats the file's stall-timeout");
        overridden.GetProperty("retry").GetProperty("max_attempts").GetInt32().ShouldBe(2);
        overridden.GetProperty("labels").GetProperty("team").GetString().ShouldBe("core");
        overridden.GetProperty("labels").GetProperty("area").GetString().ShouldBe("docs");
        overridden.GetProperty("repo").GetString().ShouldBe(cwd);
    }

    private static async Task<string> SubmitAndShowSpecAsync(TestHome t, string cwd, string[] form)
    {
        var submitted = await t.Cli.RunInAsync(cwd, [.. form, "--json"]);
        submitted.ExitCode.ShouldBe(0, string.Join(' ', form) + "\n" + submitted);
        var id = submitted.Json.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture);
        var shown = await t.Cli.RunAsync("show", id, "--json");
        shown.ExitCode.ShouldBe(0, shown.ToString());
        return shown.Json.GetProperty("spec").GetRawText();
    }
}
