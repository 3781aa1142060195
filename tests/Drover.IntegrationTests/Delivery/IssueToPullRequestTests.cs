using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Drover.IntegrationTests.Webhooks;
using Drover.Server.Webhooks;

namespace Drover.IntegrationTests.Delivery;

/// <summary>
/// The whole loop through one serve (SPEC §12): a labelled issue's webhook makes a job; the agent commits; verify
/// passes; the branch is pushed over TLS and a pull request opened with its body; the issue gets its comments and
/// state label; a failed check run on that pull request queues a follow-up on the same branch, which pushes a fix to
/// the same pull request and is echoed on the issue; the follow-ups stop at [delivery] max_followups.
/// </summary>
public sealed class IssueToPullRequestTests
{
    private const string HookSecret = "an-e2e-hook-secret-0123456789";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Serve_LabelledIssueToPullRequestAndAFailedCheckToAFollowUp_ClosesTheLoop()
    {
        await using var f = await DeliveryFixture.StartAsync(ct: Ct);
        // The agent: writes the greeting the issue asks for; on the pull request's branch (a follow-up), fixes it.
        await f.AppendConfigAsync($$"""
            max_followups = 1

            [webhooks]
            github_secret = "GH_HOOK"

            [[trackers]]
            kind = "github"
            repo = "acme/app"
            host = "127.0.0.1"
            path = "{{f.Url}}"
            poll = "off"
            profile = "issues"

            [profiles.issues]
            command = "if [ -f greeting.txt ]; then echo 'hello, world' > greeting.txt; else echo hello > greeting.txt; fi"
            verify = "grep -q hello greeting.txt"
            deliver = "pr"
            """);
        (await f.Home.Cli.RunAsync("secret", "set", "GH_HOOK", HookSecret)).ExitCode.ShouldBe(0);
        await using var serve = await f.ServeAsync();
        using var http = f.Home.Http(await ServerUrlAsync(f), withToken: false);

        // 1. An issue labelled drover → its webhook → a job.
        var issue = f.Forge.CreateIssue(DeliveryFixture.Repo, "Add a greeting", "Create greeting.txt saying hello.", "drover");
        var hook = await PostAsync(http, "issues", WebhookTests.GithubIssue("labeled", (int)issue, "Add a greeting", "Create greeting.txt saying hello.", "open", "drover"));
        hook.Status.ShouldBe(HttpStatusCode.OK, hook.Body);
        var key = $"github:acme/app#{issue.ToString(CultureInfo.InvariantCulture)}";
        var jobId = (await JobByKeyAsync(f, key)).GetProperty("id").GetInt64();

        // 2. It runs, passes verify, is pushed and gets its pull request; the issue hears about it.
        var job = await f.WaitForDeliveryAsync(jobId, "delivered", "failed");
        job.GetProperty("state").GetString().ShouldBe("succeeded");
        job.GetProperty("delivery").GetProperty("state").GetString().ShouldBe("delivered", job.ToString());
        var pull = f.Forge.Pulls(DeliveryFixture.Repo).ShouldHaveSingleItem();
        pull.Head.ShouldBe($"drover/{Id(jobId)}");
        pull.Body!.ShouldContain("Create greeting.txt saying hello.");
        pull.Body!.ShouldContain("`grep -q hello greeting.txt` passed.");
        pull.Body!.ShouldContain(key);
        var pullUrl = job.GetProperty("delivery").GetProperty("url").GetString()!;
        await WaitAsync(() => f.Forge.Comments(DeliveryFixture.Repo, issue).Any(c => c.Contains(pullUrl, StringComparison.Ordinal)), "the end comment with the pull request");
        var comments = f.Forge.Comments(DeliveryFixture.Repo, issue);
        comments.ShouldContain(c => c.Contains($"started job {Id(jobId)}", StringComparison.Ordinal));
        comments.ShouldContain(c => c.Contains($"job {Id(jobId)} succeeded", StringComparison.Ordinal) && c.Contains(pullUrl, StringComparison.Ordinal));
        await WaitAsync(() => f.Forge.Labels(DeliveryFixture.Repo, issue).Contains("drover:done"), "the done label");
        var head = f.RemoteSha($"drover/{Id(jobId)}")!;

        // 3. CI fails on the pull request → one follow-up job on the same branch.
        var failed = CheckRun(jobId, head, pull.Number, "tests", "greeting.txt should say 'hello, world'");
        var queued = await PostAsync(http, "check_run", failed);
        queued.Outcome.ShouldStartWith("follow-up job ");
        var again = await PostAsync(http, "check_run", failed);
        again.Outcome.ShouldStartWith("unchanged: follow-up job");
        var followUpId = long.Parse(queued.Outcome.Split(' ')[2], CultureInfo.InvariantCulture);

        // 4. The follow-up starts from the pull request's head, pushes its fix to the same branch and says so there.
        var followUp = await f.WaitForDeliveryAsync(followUpId, "delivered", "failed");
        followUp.GetProperty("state").GetString().ShouldBe("succeeded", followUp.ToString());
        followUp.GetProperty("delivery").GetProperty("url").GetString().ShouldBe(pullUrl);
        followUp.GetProperty("labels").GetProperty("followup_of").GetString().ShouldBe(Id(jobId));
        var fixedHead = f.RemoteSha($"drover/{Id(jobId)}")!;
        fixedHead.ShouldNotBe(head);
        Gates.InProcessWorker.Git(f.Bare, "merge-base", "--is-ancestor", head, fixedHead); // a fast-forward: nothing lost
        Gates.InProcessWorker.Git(f.Bare, "show", $"{fixedHead}:greeting.txt").ShouldBe("hello, world\n");
        f.Forge.Pulls(DeliveryFixture.Repo).ShouldHaveSingleItem("the follow-up adds to the pull request, it opens none");
        f.Forge.Comments(DeliveryFixture.Repo, pull.Number).ShouldContain(c => c.Contains($"Follow-up [job #{Id(followUpId)}]", StringComparison.Ordinal));
        await WaitAsync(
            () => f.Forge.Comments(DeliveryFixture.Repo, issue).Any(c => c.Contains($"job {Id(followUpId)} succeeded", StringComparison.Ordinal)),
            "the follow-up's success on the issue");

        // 5. Another failure: max_followups = 1 is reached, nothing more is queued.
        var capped = await PostAsync(http, "check_run", CheckRun(jobId, fixedHead, pull.Number, "tests", "still failing"));
        capped.Status.ShouldBe(HttpStatusCode.Accepted);
        capped.Outcome.ShouldContain("max_followups");
        f.FilesHolding(f.Forge.Token).ShouldBeEmpty();
    }

    private static string CheckRun(long jobId, string sha, long pull, string name, string summary) => JsonSerializer.Serialize(new
    {
        action = "completed",
        check_run = new
        {
            id = 4_000_000_000L + pull,
            name,
            head_sha = sha,
            status = "completed",
            conclusion = "failure",
            html_url = $"https://github.com/acme/app/runs/{pull}",
            output = new { title = "1 test failed", summary, text = (string?)null },
            check_suite = new { id = 5, head_branch = $"drover/{Id(jobId)}", head_sha = sha },
            pull_requests = new[]
            {
                new { number = pull, head = new { @ref = $"drover/{Id(jobId)}", sha }, @base = new { @ref = "main", sha = "0000000" } },
            },
        },
        repository = new { id = 42, name = "app", full_name = "acme/app" },
        sender = new { login = "github-actions[bot]", id = 41898282 },
    });

    private static async Task<(HttpStatusCode Status, string Outcome, string Body)> PostAsync(HttpClient http, string @event, string payload)
    {
        var bytes = Encoding.UTF8.GetBytes(payload);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/github") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("X-GitHub-Event", @event);
        request.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
        request.Headers.Add("X-Hub-Signature-256", WebhookSignature.Sign(HookSecret, bytes));
        using var response = await http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        var outcome = response.IsSuccessStatusCode ? JsonDocument.Parse(text).RootElement.GetProperty("outcome").GetString()! : "";
        return (response.StatusCode, outcome, text);
    }

    private static async Task<string> ServerUrlAsync(DeliveryFixture f)
    {
        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(f.Home.Home, "server.json"), Ct));
        return doc.RootElement.GetProperty("url").GetString()!;
    }

    private static async Task<JsonElement> JobByKeyAsync(DeliveryFixture f, string key)
    {
        var ls = await f.Home.Cli.RunAsync("ls", "--json");
        ls.ExitCode.ShouldBe(0, ls.ToString());
        return ls.Json.GetProperty("jobs").EnumerateArray().Single(j => j.TryGetProperty("key", out var k) && k.GetString() == key);
    }

    private static Task WaitAsync(Func<bool> condition, string what) =>
        Gates.InProcessWorker.WaitUntilAsync(() => Task.FromResult(condition()), TimeSpan.FromSeconds(60), () => $"waited for {what}");
}
