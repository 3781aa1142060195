using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Drover.Server.Webhooks;

namespace Drover.IntegrationTests.Webhooks;

/// <summary>
/// <c>POST /hooks/github</c> and <c>/hooks/gitea</c> on a real <c>serve</c> (no worker slots, so jobs stay queued),
/// with payloads in the shape GitHub and Gitea document for issue events.
/// </summary>
public sealed class WebhookTests : IAsyncLifetime
{
    private const string GithubSecret = "gh-webhook-secret-0123456789";
    private const string GiteaSecret = "gitea-webhook-secret-0123456789";
    private readonly TestHome _t = new();
    private BackgroundProcess? _serve;
    private HttpClient? _http;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Http => _http!;

    public async ValueTask InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_t.Home, "drover.toml"), $"""
            [webhooks]
            github_secret = "GH_HOOK"
            gitea_secret = "GITEA_HOOK"

            [[trackers]]
            kind = "github"
            repo = "acme/app"
            label = "drover"
            path = "{_t.Scratch}"
            profile = "issues"

            [[trackers]]
            kind = "gitea"
            repo = "team/tool"
            path = "{_t.Scratch}"

            [profiles.default]
            engine = "claude"

            [profiles.issues]
            engine = "claude"
            priority = 40
            """, Ct);
        (await _t.Cli.RunAsync("secret", "set", "GH_HOOK", GithubSecret)).ExitCode.ShouldBe(0);
        (await _t.Cli.RunAsync("secret", "set", "GITEA_HOOK", GiteaSecret)).ExitCode.ShouldBe(0);
        _serve = _t.Cli.Start(["serve", "--port", "0", "--slots", "0"]);
        _http = _t.Http(await _t.WaitForServerAsync(_serve, TimeSpan.FromSeconds(60)), withToken: false);
    }

    /// <summary>GitHub's <c>issues</c> event, trimmed to the fields of its documented shape that matter here.</summary>
    internal static string GithubIssue(string action, int number, string title, string body, string state, params string[] labels) =>
        JsonSerializer.Serialize(new
        {
            action,
            issue = new
            {
                url = $"https://api.github.com/repos/acme/app/issues/{number}",
                html_url = $"https://github.com/acme/app/issues/{number}",
                id = 1_000_000 + number,
                number,
                title,
                user = new { login = "octocat", id = 1 },
                labels = labels.Select((l, i) => new { id = 200 + i, name = l, color = "f29513", @default = false }).ToArray(),
                state,
                locked = false,
                comments = 0,
                created_at = "2026-12-01T10:00:00Z",
                updated_at = "2026-12-01T10:05:00Z",
                author_association = "OWNER",
                body,
            },
            repository = new { id = 42, name = "app", full_name = "acme/app", @private = false, owner = new { login = "acme", id = 2 } },
            sender = new { login = "octocat", id = 1 },
        });

    private async Task<(HttpStatusCode Status, string Outcome, string Body)> PostGithubAsync(string @event, string delivery, string payload, string? signature = null)
    {
        var bytes = Encoding.UTF8.GetBytes(payload);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/github") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("X-GitHub-Event", @event);
        request.Headers.Add("X-GitHub-Delivery", delivery);
        request.Headers.Add("X-Hub-Signature-256", signature ?? WebhookSignature.Sign(GithubSecret, bytes));
        request.Headers.UserAgent.ParseAdd("GitHub-Hookshot/abc123");
        using var response = await Http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        var outcome = response.IsSuccessStatusCode ? JsonDocument.Parse(text).RootElement.GetProperty("outcome").GetString()! : "";
        return (response.StatusCode, outcome, text);
    }

    private async Task<List<JsonElement>> JobsAsync()
    {
        var ls = await _t.Cli.RunAsync("ls", "--json");
        ls.ExitCode.ShouldBe(0, ls.ToString());
        var root = ls.Json;
        var items = root.ValueKind == JsonValueKind.Array ? root : root.GetProperty("jobs");
        return [.. items.EnumerateArray()];
    }

    private async Task<JsonElement> ShowAsync(long id)
    {
        var show = await _t.Cli.RunAsync("show", id.ToString(CultureInfo.InvariantCulture), "--json");
        show.ExitCode.ShouldBe(0, show.ToString());
        return show.Json;
    }

    [Fact]
    public async Task PostGithub_ForgedSignature_Is401AndStoresNothing()
    {
        var payload = GithubIssue("opened", 1, "Fix the login", "It fails.", "open", "drover");

        var forged = await PostGithubAsync("issues", "d-forged", payload, WebhookSignature.Sign("not-the-secret", Encoding.UTF8.GetBytes(payload)));
        var missing = await PostGithubAsync("issues", "d-forged", payload, signature: "");
        var jobsAfterForged = await JobsAsync();
        var genuine = await PostGithubAsync("issues", "d-forged", payload);

        forged.Status.ShouldBe(HttpStatusCode.Unauthorized, forged.Body);
        missing.Status.ShouldBe(HttpStatusCode.Unauthorized, missing.Body);
        jobsAfterForged.ShouldBeEmpty();
        genuine.Outcome.ShouldBe("created", "the forged request recorded no delivery, so the genuine one with its id is new");
    }

    [Fact]
    public async Task PostGithub_ReplayedDelivery_MakesOneJob()
    {
        var payload = GithubIssue("opened", 2, "Add dark mode", "Use the palette.", "open", "drover");

        var first = await PostGithubAsync("issues", "d-replay", payload);
        var replay = await PostGithubAsync("issues", "d-replay", payload);
        var redelivered = await PostGithubAsync("issues", "d-replay-2", payload);

        (first.Status, first.Outcome).ShouldBe((HttpStatusCode.OK, "created"), first.Body);
        (replay.Status, replay.Outcome).ShouldBe((HttpStatusCode.OK, "duplicate"), replay.Body);
        redelivered.Outcome.ShouldBe("existing", "the issue's key makes one job even under a new delivery id");
        (await JobsAsync()).ShouldHaveSingleItem();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PostGithub_TenMegabyteBody_Is413AndStoresNothing(bool chunked)
    {
        var big = new byte[10 * 1024 * 1024];
        var delivery = chunked ? "d-big-chunked" : "d-big";
        var head = $"POST /hooks/github HTTP/1.1\r\nHost: {Http.BaseAddress!.Authority}\r\nX-GitHub-Event: issues\r\n" +
            $"X-GitHub-Delivery: {delivery}\r\nX-Hub-Signature-256: {WebhookSignature.Sign(GithubSecret, big)}\r\nContent-Type: application/json\r\n" +
            (chunked ? "Transfer-Encoding: chunked\r\n" : $"Content-Length: {big.Length}\r\n") + "\r\n";

        var status = await SendRawAsync(Encoding.ASCII.GetBytes(head), big, chunked);
        var ping = await PostGithubAsync("ping", delivery, """{"zen":"Keep it logically awesome."}""");

        status.ShouldBe(413);
        ping.Outcome.ShouldBe("pong", "the refused delivery id was not recorded");
    }

    /// <summary>
    /// Sends a request as a forge does, the whole body whether or not the server still reads it (HttpClient stops at the
    /// first refused write), and returns the status code answered.
    /// </summary>
    private async Task<int> SendRawAsync(byte[] head, byte[] body, bool chunked)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(Http.BaseAddress!.Host, Http.BaseAddress.Port, Ct);
        var stream = tcp.GetStream();
        await stream.WriteAsync(head, Ct);
        var writer = Task.Run(
            async () =>
            {
                try
                {
                    for (var offset = 0; offset < body.Length; offset += 64 * 1024)
                    {
                        var n = Math.Min(64 * 1024, body.Length - offset);
                        if (chunked)
                            await stream.WriteAsync(Encoding.ASCII.GetBytes($"{n:x}\r\n"), Ct);
                        await stream.WriteAsync(body.AsMemory(offset, n), Ct);
                        if (chunked)
                            await stream.WriteAsync("\r\n"u8.ToArray(), Ct);
                    }

                    if (chunked)
                        await stream.WriteAsync("0\r\n\r\n"u8.ToArray(), Ct);
                }
                catch (IOException)
                {
                    // The server answered and closed while the body was still being sent.
                }
            },
            Ct);
        var response = new List<byte>();
        var buffer = new byte[4096];
        while (!Encoding.ASCII.GetString([.. response]).Contains("\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, Ct);
            if (read == 0)
                break;
            response.AddRange(buffer.AsSpan(0, read));
        }

        await writer;
        var line = Encoding.ASCII.GetString([.. response]).Split("\r\n")[0];
        return int.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task PostGithub_UnknownEvent_Is202IgnoredAndRecorded()
    {
        var unknown = await PostGithubAsync("star", "d-star", """{"action":"created","starred_at":"2026-12-01T10:00:00Z"}""");
        var again = await PostGithubAsync("star", "d-star", """{"action":"created","starred_at":"2026-12-01T10:00:00Z"}""");

        unknown.Status.ShouldBe(HttpStatusCode.Accepted, unknown.Body);
        unknown.Outcome.ShouldBe("ignored: event star");
        again.Outcome.ShouldBe("duplicate", "the ignored delivery was recorded");
        (await JobsAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task PostGithub_LabeledIssue_JobWithMappedFields()
    {
        var unlabelled = await PostGithubAsync("issues", "d-l0", GithubIssue("opened", 5, "Speed up CI", "Cache the packages.", "open"));
        var labeled = await PostGithubAsync("issues", "d-l1",
            GithubIssue("labeled", 5, "Speed up CI", "Cache the packages.\nAnd the images.", "open", "drover", "priority:high", "engine:codex"));
        var edited = await PostGithubAsync("issues", "d-l2",
            GithubIssue("edited", 5, "Speed up CI a lot", "Cache everything.", "open", "drover", "priority:low", "engine:codex"));

        unlabelled.Status.ShouldBe(HttpStatusCode.Accepted, unlabelled.Body);
        unlabelled.Outcome.ShouldBe("ignored: issue without the tracker's label");
        labeled.Outcome.ShouldBe("created", labeled.Body);
        edited.Outcome.ShouldBe("superseded", "an edit before the claim replaces the queued spec");
        var job = (await JobsAsync()).ShouldHaveSingleItem();
        var shown = await ShowAsync(job.GetProperty("id").GetInt64());
        var spec = shown.GetProperty("spec");
        spec.GetProperty("key").GetString().ShouldBe("github:acme/app#5");
        spec.GetProperty("tracker").GetString().ShouldBe("github:acme/app#5");
        spec.GetProperty("engine").GetString().ShouldBe("codex", "the label overrides the tracker profile's engine");
        spec.GetProperty("profile").GetString().ShouldBe("issues");
        spec.GetProperty("priority").GetInt32().ShouldBe(25);
        spec.GetProperty("title").GetString().ShouldBe("Speed up CI a lot");
        spec.GetProperty("prompt").GetString().ShouldBe("Speed up CI a lot\n\nCache everything.");
        spec.GetProperty("repo").GetString().ShouldBe(_t.Scratch);
    }

    [Fact]
    public async Task PostGithub_IssueClosedBeforeRun_CancelsItsJob()
    {
        var opened = await PostGithubAsync("issues", "d-c1", GithubIssue("opened", 9, "Remove the old API", "", "open", "drover", "priority:high"));
        var closed = await PostGithubAsync("issues", "d-c2", GithubIssue("closed", 9, "Remove the old API", "", "closed", "drover", "priority:high"));

        opened.Outcome.ShouldBe("created", opened.Body);
        closed.Outcome.ShouldBe("cancelled", closed.Body);
        var job = (await JobsAsync()).ShouldHaveSingleItem();
        job.GetProperty("state").GetString().ShouldBe("cancelled");
        job.GetProperty("priority").GetInt32().ShouldBe(75);
    }

    [Fact]
    public async Task PostGitea_SignedWithGiteaHeader_MakesJob()
    {
        var payload = JsonSerializer.Serialize(new
        {
            action = "opened",
            number = 3,
            issue = new
            {
                id = 77,
                number = 3,
                user = new { id = 1, login = "gitea-admin" },
                title = "Translate the README",
                body = "Into German.",
                labels = new[] { new { id = 1, name = "drover", color = "e11d21" }, new { id = 2, name = "engine:codex", color = "ededed" } },
                state = "open",
            },
            repository = new { id = 5, name = "tool", full_name = "team/tool", owner = new { id = 3, login = "team" } },
            sender = new { id = 1, login = "gitea-admin" },
        });
        var bytes = Encoding.UTF8.GetBytes(payload);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/gitea") { Content = new ByteArrayContent(bytes) };
        request.Headers.Add("X-Gitea-Event", "issues");
        request.Headers.Add("X-Gitea-Delivery", "5a3c0c3e-0000-4000-8000-000000000001");
        request.Headers.Add("X-Gitea-Signature", WebhookSignature.Sign(GiteaSecret, bytes)["sha256=".Length..]);
        using var bad = new HttpRequestMessage(HttpMethod.Post, "/hooks/gitea") { Content = new ByteArrayContent(bytes) };
        bad.Headers.Add("X-Gitea-Event", "issues");
        bad.Headers.Add("X-Gitea-Delivery", "5a3c0c3e-0000-4000-8000-000000000002");
        bad.Headers.Add("X-Gitea-Signature", WebhookSignature.Sign(GithubSecret, bytes)["sha256=".Length..]);

        using var refused = await Http.SendAsync(bad, Ct);
        using var response = await Http.SendAsync(request, Ct);

        refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        var job = (await JobsAsync()).ShouldHaveSingleItem();
        (await ShowAsync(job.GetProperty("id").GetInt64())).GetProperty("spec").GetProperty("key").GetString().ShouldBe("gitea:team/tool#3");
    }

    public async ValueTask DisposeAsync()
    {
        _http?.Dispose();
        if (_serve is not null)
            await _serve.DisposeAsync();
        _t.Dispose();
    }
}
