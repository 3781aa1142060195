using System.Globalization;
using System.Text.Json;

namespace Drover.IntegrationTests.Forges;

/// <summary>
/// A real serve with <c>[[trackers]]</c> on a fake forge: <c>drover tracker sync</c> turns labelled issues into shell
/// jobs, and the status echo comments on the issues and moves their <c>drover:STATE</c> label.
/// </summary>
public sealed class TrackerServeTests
{
    private const string Repo = "acme/app";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<BackgroundProcess> StartAsync(TestHome t, FakeForge fake, string kind, int slots, string poll = "off")
    {
        var host = kind == "github" ? "github.com" : "git.example.com";
        await File.WriteAllTextAsync(Path.Combine(t.Home, "drover.toml"), $"""
            [[forges]]
            host = "{host}"
            kind = "{kind}"
            base_url = "{fake.BaseUrl}"
            token_secret = "FORGE_TOKEN"

            [[trackers]]
            kind = "{kind}"
            repo = "{Repo}"
            host = "{host}"
            path = "{t.Scratch}"
            profile = "issues"
            poll = "{poll}"

            [profiles.issues]
            command = "echo fixed"

            [profiles.broken]
            command = "exit 3"

            [profiles.broken.retry]
            max_attempts = 1
            """, Ct);
        (await t.Cli.RunAsync("secret", "set", "FORGE_TOKEN", fake.Token)).ExitCode.ShouldBe(0);
        var serve = t.Cli.Start(["serve", "--port", "0", "--slots", slots.ToString(CultureInfo.InvariantCulture)]);
        await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        return serve;
    }

    private static async Task<JsonElement> SyncAsync(TestHome t)
    {
        var sync = await t.Cli.RunAsync("tracker", "sync", "--json");
        sync.ExitCode.ShouldBe(0, sync.ToString());
        return sync.Json.GetProperty("trackers").EnumerateArray().ShouldHaveSingleItem();
    }

    private static async Task WaitForLabelAsync(FakeForge fake, long issue, string label, BackgroundProcess serve)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!fake.Labels(Repo, issue).Contains(label))
        {
            if (DateTime.UtcNow > deadline)
                throw new ShouldAssertException($"no {label} on the issue; labels {string.Join(",", fake.Labels(Repo, issue))}; comments {fake.Comments(Repo, issue).Count}\n{serve.Output}");
            await Task.Delay(200, Ct);
        }
    }

    [Theory]
    [InlineData("github")]
    [InlineData("gitea")]
    public async Task TrackerSync_LabelledIssue_RunsAJobAndEchoesStartAndSuccess(string kind)
    {
        using var t = new TestHome();
        await using FakeForge fake = kind == "github" ? await FakeGitHub.StartNewAsync() : await FakeGitea.StartNewAsync();
        var issue = fake.CreateIssue(Repo, "Fix the login", "It fails on Mondays.", "drover");
        fake.CreateIssue(Repo, "Not for Drover", null, "bug");
        await using var serve = await StartAsync(t, fake, kind, slots: 1);

        var pass = await SyncAsync(t);
        await WaitForLabelAsync(fake, issue, "drover:done", serve);
        var again = await SyncAsync(t);
        var ls = await t.Cli.RunAsync("tracker", "ls", "--json");

        pass.GetProperty("tracker").GetString().ShouldBe($"{kind}:{Repo}");
        (pass.GetProperty("seen").GetInt32(), pass.GetProperty("submitted").GetInt32()).ShouldBe((1, 1));
        again.GetProperty("unchanged").GetInt32().ShouldBe(1);
        again.GetProperty("submitted").GetInt32().ShouldBe(0);
        var comments = fake.Comments(Repo, issue);
        comments.Count.ShouldBe(2, string.Join("\n---\n", comments));
        comments[0].ShouldContain("started job");
        comments[1].ShouldContain("succeeded");
        comments[1].ShouldContain("Cost: $0.00");
        fake.Labels(Repo, issue).ShouldBe(["drover", "drover:done"], ignoreOrder: true);
        ls.ExitCode.ShouldBe(0, ls.ToString());
        var listed = ls.Json.GetProperty("trackers").EnumerateArray().ShouldHaveSingleItem();
        listed.GetProperty("poll").GetString().ShouldBe("off");
        listed.GetProperty("last").GetProperty("seen").GetInt32().ShouldBe(1);
        fake.Requests.ShouldAllBe(r => r.Authorization == (kind == "github" ? "Bearer " : "token ") + fake.Token);
    }

    [Fact]
    public async Task StatusEcho_JobFails_CommentsTheReasonAndLabelsFailed()
    {
        using var t = new TestHome();
        await using var fake = await FakeGitHub.StartNewAsync();
        var issue = fake.CreateIssue(Repo, "Breaks", null, "drover", "profile:broken");
        await using var serve = await StartAsync(t, fake, "github", slots: 1);

        await SyncAsync(t);
        await WaitForLabelAsync(fake, issue, "drover:failed", serve);

        var comments = fake.Comments(Repo, issue);
        comments.Count.ShouldBe(2, string.Join("\n---\n", comments));
        comments[1].ShouldContain("failed");
        comments[1].ShouldContain("Reason: ");
        fake.Labels(Repo, issue).ShouldBe(["drover", "profile:broken", "drover:failed"], ignoreOrder: true);
    }

    [Fact]
    public async Task StatusEcho_ForgeAnswers500ForAWhile_EveryEchoArrivesOnce()
    {
        using var t = new TestHome();
        await using var fake = await FakeGitHub.StartNewAsync();
        var issue = fake.CreateIssue(Repo, "Flaky forge", null, "drover");
        fake.FailNext("/comments", 3, FakeFailure.ServerError);
        await using var serve = await StartAsync(t, fake, "github", slots: 1);

        await SyncAsync(t);
        await WaitForLabelAsync(fake, issue, "drover:done", serve);

        var comments = fake.Comments(Repo, issue);
        comments.Count.ShouldBe(2, string.Join("\n---\n", comments));
        comments[0].ShouldContain("started job");
        comments[1].ShouldContain("succeeded");
        fake.Requests.Count(r => r.Method == "POST" && r.Path.EndsWith("/comments", StringComparison.Ordinal)).ShouldBe(5);
        serve.Output.ShouldContain("status echo delayed");
    }

    [Fact]
    public async Task StatusEcho_SecondaryRateLimit_WaitsRetryAfterBeforeCallingAgain()
    {
        using var t = new TestHome();
        await using var fake = await FakeGitHub.StartNewAsync();
        var issue = fake.CreateIssue(Repo, "Limited forge", null, "drover");
        fake.RetryAfterSeconds = 4;
        fake.FailNext("/comments", 1, FakeFailure.SecondaryLimit);
        await using var serve = await StartAsync(t, fake, "github", slots: 1);

        await SyncAsync(t);
        await WaitForLabelAsync(fake, issue, "drover:done", serve);

        var requests = fake.Requests;
        var limited = requests.First(r => r.Path.EndsWith("/comments", StringComparison.Ordinal));
        var next = requests.SkipWhile(r => r != limited).Skip(1).First();
        (next.At - limited.At).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(3.9));
        fake.Comments(Repo, issue).Count.ShouldBe(2);
    }

    [Fact]
    public async Task TrackerSync_IssueClosedWhileQueued_CancelsTheJobAndSaysSo()
    {
        using var t = new TestHome();
        await using var fake = await FakeGitHub.StartNewAsync();
        var issue = fake.CreateIssue(Repo, "Never mind", null, "drover");
        await using var serve = await StartAsync(t, fake, "github", slots: 0);

        var first = await SyncAsync(t);
        await WaitForLabelAsync(fake, issue, "drover:queued", serve);
        fake.CloseIssue(Repo, issue);
        var second = await SyncAsync(t);
        var show = await t.Cli.RunAsync("ls", "--json", "--state", "cancelled");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((fake.Comments(Repo, issue).Count == 0 || fake.Labels(Repo, issue).Contains("drover:queued")) && DateTime.UtcNow < deadline)
            await Task.Delay(200, Ct);

        first.GetProperty("submitted").GetInt32().ShouldBe(1);
        (second.GetProperty("seen").GetInt32(), second.GetProperty("cancelled").GetInt32()).ShouldBe((0, 1));
        show.Json.GetProperty("jobs").EnumerateArray().ShouldHaveSingleItem().GetProperty("key").GetString().ShouldBe($"github:{Repo}#{issue}");
        fake.Comments(Repo, issue).ShouldHaveSingleItem().ShouldContain("cancelled");
        fake.Labels(Repo, issue).ShouldBe(["drover"]);
    }

    [Fact]
    public async Task Serve_TrackerWithPoll_SubmitsLabelledIssuesWithoutASync()
    {
        using var t = new TestHome();
        await using var fake = await FakeGitHub.StartNewAsync();
        var issue = fake.CreateIssue(Repo, "Polled", null, "drover", "priority:high");
        await using var serve = await StartAsync(t, fake, "github", slots: 0, poll: "10s");

        await WaitForLabelAsync(fake, issue, "drover:queued", serve);
        var ls = await t.Cli.RunAsync("ls", "--json");
        var trackers = await t.Cli.RunAsync("tracker", "ls");

        var job = ls.Json.GetProperty("jobs").EnumerateArray().ShouldHaveSingleItem();
        job.GetProperty("key").GetString().ShouldBe($"github:{Repo}#{issue}");
        job.GetProperty("state").GetString().ShouldBe("queued");
        fake.Requests.ShouldContain(r => r.Path.StartsWith($"/repos/{Repo}/issues?labels=drover&state=open", StringComparison.Ordinal));
        trackers.ExitCode.ShouldBe(0, trackers.ToString());
        trackers.Stdout.ShouldContain("10s");
    }

    [Fact]
    public async Task TrackerSync_TrackerWithoutForge_FailsNamingTheMissingForge()
    {
        using var t = new TestHome();
        await File.WriteAllTextAsync(Path.Combine(t.Home, "drover.toml"), $"""
            [[trackers]]
            kind = "gitea"
            repo = "{Repo}"
            path = "{t.Scratch}"
            """, Ct);

        var sync = await t.Cli.RunAsync("tracker", "sync");

        sync.ExitCode.ShouldBe(1, sync.ToString());
        sync.Stdout.ShouldContain($"gitea:{Repo}: failed: no [[forges]] entry of kind gitea");
    }
}
