using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.IntegrationTests.RealClis;
using Drover.Server.Webhooks;

namespace Drover.IntegrationTests.Webhooks;

/// <summary>
/// GitHub's own recorded webhook payloads (the <c>@octokit/webhooks-examples</c> npm package, installed like the agent
/// CLIs) posted to a real <c>serve</c>: Drover reads the fields it needs from the shape GitHub really sends.
/// </summary>
public sealed class RecordedWebhookTests
{
    private const string Package = "@octokit/webhooks-examples@7.6.1";
    private const string Secret = "recorded-examples-secret-0123";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonArray> ExamplesAsync(string eventName)
    {
        var modules = await AgentClis.LibrariesAsync(Package);
        var index = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(modules, "@octokit", "webhooks-examples", "api.github.com", "index.json"), Ct))!.AsArray();
        return index.Single(e => (string?)e!["name"] == eventName)!["examples"]!.AsArray();
    }

    [Fact]
    public async Task PostGithub_RecordedIssueEvents_LabeledMakesJobClosedCancelsStarIgnored()
    {
        if (AgentClis.NpmMissing() is { } why)
            Assert.Skip(why);
        var labeled = (await ExamplesAsync("issues")).First(e => (string?)e!["action"] == "labeled")!.DeepClone();
        var star = (await ExamplesAsync("star")).First()!.ToJsonString();
        var closed = labeled.DeepClone();
        closed["action"] = "closed";
        closed["issue"]!["state"] = "closed";
        using var t = new TestHome();
        await File.WriteAllTextAsync(Path.Combine(t.Home, "drover.toml"), $"""
            [webhooks]
            github_secret = "GH_HOOK"

            [[trackers]]
            kind = "github"
            repo = "Codertocat/Hello-World"
            label = "bug"
            path = "{t.Scratch}"

            [profiles.default]
            engine = "claude"
            """, Ct);
        (await t.Cli.RunAsync("secret", "set", "GH_HOOK", Secret)).ExitCode.ShouldBe(0);
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "0"]);
        using var http = t.Http(await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60)), withToken: false);

        async Task<(HttpStatusCode Status, string Outcome)> PostAsync(string eventName, string delivery, string payload)
        {
            var bytes = Encoding.UTF8.GetBytes(payload);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/github") { Content = new ByteArrayContent(bytes) };
            request.Headers.Add("X-GitHub-Event", eventName);
            request.Headers.Add("X-GitHub-Delivery", delivery);
            request.Headers.Add("X-Hub-Signature-256", WebhookSignature.Sign(Secret, bytes));
            using var response = await http.SendAsync(request, Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            return (response.StatusCode, JsonDocument.Parse(text).RootElement.GetProperty("outcome").GetString()!);
        }

        var made = await PostAsync("issues", "rec-1", labeled.ToJsonString());
        var starred = await PostAsync("star", "rec-2", star);
        var jobs = (await t.Cli.RunAsync("ls", "--json")).Json.GetProperty("jobs");
        var id = jobs.EnumerateArray().Single().GetProperty("id").GetInt64();
        var shown = (await t.Cli.RunAsync("show", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json")).Json;
        var cancelled = await PostAsync("issues", "rec-3", closed.ToJsonString());
        var after = (await t.Cli.RunAsync("show", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json")).Json;

        made.ShouldBe((HttpStatusCode.OK, "created"));
        starred.ShouldBe((HttpStatusCode.Accepted, "ignored: event star"));
        shown.GetProperty("spec").GetProperty("key").GetString().ShouldBe("github:Codertocat/Hello-World#1");
        shown.GetProperty("spec").GetProperty("title").GetString().ShouldBe((string?)labeled["issue"]!["title"]);
        shown.GetProperty("spec").GetProperty("prompt").GetString()!.ShouldContain("It looks like you accidently spelled");
        cancelled.ShouldBe((HttpStatusCode.OK, "cancelled"));
        after.GetProperty("state").GetString().ShouldBe("cancelled");
    }
}
