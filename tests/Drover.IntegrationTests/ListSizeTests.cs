using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Drover.IntegrationTests;

/// <summary>A list page carries a summary per job, not its spec: 50 jobs with 300 KB prompts still make a small page.</summary>
public sealed class ListSizeTests
{
    private static readonly string BigPrompt = new('p', 300 * 1024);

    private static async Task<HttpResponseMessage> PostAsync(HttpClient http, TestHome t, string json, CancellationToken ct)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        req.Headers.Add("X-Drover-Cwd", t.Scratch);
        return await http.SendAsync(req, ct);
    }

    [Fact]
    public async Task ListJobs_FiftyJobsWith300KBPrompts_PageIsSmallAndHasWhatListsShow()
    {
        using var t = new TestHome();
        var ct = TestContext.Current.CancellationToken;
        await using var serve = t.Cli.Start("serve", "--port", "0", "--slots", "0");
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        using var http = t.Http(url);
        for (var i = 0; i < 50; i++)
        {
            var spec = new { engine = "shell", command = "true", prompt = $"Refresh report {i}\n{BigPrompt}", labels = new { team = "core" } };
            using var resp = await PostAsync(http, t, JsonSerializer.Serialize(spec), ct);
            resp.StatusCode.ShouldBe(HttpStatusCode.Created, await resp.Content.ReadAsStringAsync(ct));
        }

        var page = await http.GetStringAsync(new Uri("/api/jobs?limit=50", UriKind.Relative), ct);
        var cli = await t.Cli.RunAsync("ls", "--limit", "50", "--json", "--url", url);

        Encoding.UTF8.GetByteCount(page).ShouldBeLessThan(200 * 1024);
        cli.ExitCode.ShouldBe(0, cli.Stderr);
        Encoding.UTF8.GetByteCount(cli.Stdout).ShouldBeLessThan(200 * 1024);
        using var doc = JsonDocument.Parse(page);
        var jobs = doc.RootElement.GetProperty("jobs").EnumerateArray().ToList();
        jobs.Count.ShouldBe(50);
        var first = jobs[0];
        first.TryGetProperty("spec", out _).ShouldBeFalse();
        first.GetProperty("title").GetString().ShouldBe("Refresh report 49");
        first.GetProperty("labels").GetProperty("team").GetString().ShouldBe("core");
        foreach (var key in new[] { "id", "state", "engine", "priority", "attempt", "max_attempts", "failures", "worker", "why", "class", "reason", "usage", "created_at", "updated_at" })
            first.TryGetProperty(key, out _).ShouldBeTrue(key);
        var id = first.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture);
        using var detail = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/jobs/{id}", UriKind.Relative), ct));
        detail.RootElement.GetProperty("spec").GetProperty("prompt").GetString()!.Length.ShouldBe(BigPrompt.Length + "Refresh report 49\n".Length);
    }

    [Fact]
    public async Task ListAndSubmit_OverTheCaps_Get400NamingTheFieldAndTheCap()
    {
        using var t = new TestHome();
        var ct = TestContext.Current.CancellationToken;
        await using var serve = t.Cli.Start("serve", "--port", "0", "--slots", "0");
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        using var http = t.Http(url);

        using (var tooMany = await http.GetAsync(new Uri("/api/jobs?limit=501", UriKind.Relative), ct))
        {
            tooMany.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            (await tooMany.Content.ReadAsStringAsync(ct)).ShouldContain("between 1 and 500");
        }

        var bigCommand = JsonSerializer.Serialize(new { engine = "shell", command = "echo " + new string('x', 70 * 1024) });
        using var refused = await PostAsync(http, t, bigCommand, ct);
        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        using var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(ct));
        error.RootElement.GetProperty("field").GetString().ShouldBe("command");
        error.RootElement.GetProperty("error").GetString().ShouldNotBeNull().ShouldContain("64 KiB limit");

        var cli = await t.Cli.RunInAsync(t.Scratch, "submit", "--command", "true", "--env", "BIG=" + new string('x', 33 * 1024), "--json");
        cli.ExitCode.ShouldBe(2, cli.ToString());
        cli.Json.GetProperty("field").GetString().ShouldBe("env");
    }
}
