using Drover.Core.Configuration;
using Drover.Core.Secrets;
using Drover.Server.Forges;
using Microsoft.Extensions.Time.Testing;

namespace Drover.IntegrationTests.Forges;

/// <summary>Both forge clients against the fake forges over real HTTP on 127.0.0.1.</summary>
public sealed class ForgeClientTests : IAsyncLifetime
{
    private const string Repo = "acme/widgets";
    private readonly string _dir = Directory.CreateTempSubdirectory("drover-forge-").FullName;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private FakeGitHub _github = null!;
    private FakeGitea _gitea = null!;
    private ForgeClients _clients = null!;

    public async ValueTask InitializeAsync()
    {
        _github = await FakeGitHub.StartNewAsync();
        _gitea = await FakeGitea.StartNewAsync();
        _clients = Clients(TimeSpan.FromSeconds(30));
    }

    private ForgeClients Clients(TimeSpan timeout, string? githubToken = null)
    {
        var secrets = new SecretStore(Path.Combine(_dir, "secrets"));
        secrets.Set("GH_TOKEN", githubToken ?? _github.Token);
        secrets.Set("GITEA_TOKEN", _gitea.Token);
        ForgeConfig[] forges =
        [
            new() { Host = "github.com", Kind = "github", BaseUrl = new Uri(_github.BaseUrl), TokenSecret = "GH_TOKEN" },
            new() { Host = "git.example.com", Kind = "gitea", BaseUrl = new Uri(_gitea.BaseUrl), TokenSecret = "GITEA_TOKEN" },
        ];
        return new ForgeClients(forges, secrets, _time) { Timeout = timeout };
    }

    public static TheoryData<string> Kinds => ["github", "gitea"];

    private IForgeClient Client(string kind) => _clients.For(kind == "github" ? "github.com" : "git.example.com");

    private FakeForge Fake(string kind) => kind == "github" ? _github : _gitea;

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task CreatePull_ThenFindAndUpdate_ReturnsTheSamePull(string kind)
    {
        var ct = TestContext.Current.CancellationToken;
        var client = Client(kind);
        (await client.FindPullAsync(Repo, "drover/job-1", ct)).ShouldBeNull();

        var created = await client.CreatePullAsync(Repo, new ForgePullDraft("drover/job-1", "main", "Fix it", "Body", Draft: true), ct);
        var found = await client.FindPullAsync(Repo, "drover/job-1", ct);
        var updated = await client.UpdatePullAsync(Repo, created.Number, "Fixed it", "New body", ct);
        await client.EnableAutomergeAsync(Repo, updated, ct);

        found.ShouldNotBeNull().Number.ShouldBe(created.Number);
        created.Draft.ShouldBeTrue();
        created.Head.ShouldBe("drover/job-1");
        created.Base.ShouldBe("main");
        updated.Number.ShouldBe(created.Number);
        var pull = Fake(kind).Pulls(Repo).ShouldHaveSingleItem();
        pull.Title.ShouldEndWith("Fixed it");
        pull.Body.ShouldBe("New body");
        pull.AutomergeRequested.ShouldBeTrue();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task CreatePull_AlreadyExists_ReturnsTheExistingPull(string kind)
    {
        var ct = TestContext.Current.CancellationToken;
        var client = Client(kind);
        var first = await client.CreatePullAsync(Repo, new ForgePullDraft("drover/job-2", "main", "One", "b", Draft: false), ct);

        var second = await client.CreatePullAsync(Repo, new ForgePullDraft("drover/job-2", "main", "Two", "b", Draft: false), ct);

        second.Number.ShouldBe(first.Number);
        Fake(kind).Pulls(Repo).Count.ShouldBe(1);
        Fake(kind).Requests.Count(r => r.Method == "POST" && r.Path.EndsWith("/pulls", StringComparison.Ordinal)).ShouldBe(2);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ListIssues_ManyPages_ReturnsEveryLabelledIssueButNoPulls(string kind)
    {
        var ct = TestContext.Current.CancellationToken;
        var fake = Fake(kind);
        fake.MaxPageSize = 3;
        for (var i = 0; i < 8; i++)
            fake.CreateIssue(Repo, $"Issue {i}", "body", "drover", $"priority:{i}");
        fake.CreateIssue(Repo, "Unlabelled", null);
        var client = Client(kind);
        var pull = await client.CreatePullAsync(Repo, new ForgePullDraft("b", "main", "PR", "", false), ct);
        await client.AddLabelsAsync(Repo, pull.Number, ["drover"], ct);

        var issues = await client.ListIssuesAsync(Repo, "drover", ct);

        issues.Count.ShouldBe(8);
        issues.Select(i => i.Title).ShouldBe(Enumerable.Range(0, 8).Select(i => $"Issue {i}"), ignoreOrder: true);
        issues[0].Labels.ShouldContain("drover");
        fake.Requests.Count(r => r.Path.Contains("/issues?", StringComparison.Ordinal)).ShouldBeGreaterThanOrEqualTo(3);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Labels_AddThenRemove_ChangeTheIssue(string kind)
    {
        var ct = TestContext.Current.CancellationToken;
        var fake = Fake(kind);
        var n = fake.CreateIssue(Repo, "Labels", null, "drover");
        var client = Client(kind);

        await client.AddLabelsAsync(Repo, n, ["drover:queued", "drover"], ct);
        await client.RemoveLabelAsync(Repo, n, "drover:queued", ct);
        await client.RemoveLabelAsync(Repo, n, "never-there", ct);
        await client.AddLabelsAsync(Repo, n, ["drover:running"], ct);
        var comment = await client.CommentAsync(Repo, n, "hello", ct);
        var issue = await client.GetIssueAsync(Repo, n, ct);

        fake.Labels(Repo, n).ShouldBe(["drover", "drover:running"]);
        fake.Comments(Repo, n).ShouldBe(["hello"]);
        comment.ShouldBeGreaterThan(0);
        issue.ShouldNotBeNull().Labels.ShouldBe(["drover", "drover:running"]);
        (await client.GetIssueAsync(Repo, 999, ct)).ShouldBeNull();
        if (kind == "gitea")
        {
            _gitea.RepoLabels(Repo).ShouldContain("drover:running");
            _gitea.Requests.ShouldContain(r => r.Method == "POST" && r.Path == $"/api/v1/repos/{Repo}/labels");
            _gitea.Requests.ShouldContain(r => r.Method == "DELETE" && r.Path.StartsWith($"/api/v1/repos/{Repo}/issues/{n}/labels/", StringComparison.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task SecondaryLimit_RetryAfter_FailsFastUntilThenSucceeds(string kind)
    {
        var ct = TestContext.Current.CancellationToken;
        var fake = Fake(kind);
        var n = fake.CreateIssue(Repo, "Limited", null, "drover");
        fake.RetryAfterSeconds = 120;
        fake.FailNext("/comments", 1, FakeFailure.SecondaryLimit);
        var client = Client(kind);

        var limited = await Should.ThrowAsync<ForgeException>(() => client.CommentAsync(Repo, n, "one", ct));
        var before = fake.Requests.Count;
        var fast = await Should.ThrowAsync<ForgeException>(() => client.GetIssueAsync(Repo, n, ct));
        fake.Requests.Count.ShouldBe(before);
        _time.Advance(TimeSpan.FromSeconds(121));
        await client.CommentAsync(Repo, n, "two", ct);

        limited.Transient.ShouldBeTrue();
        limited.Status.ShouldBe(403);
        limited.RetryAt.ShouldBe(_time.GetUtcNow() - TimeSpan.FromSeconds(1));
        fast.Transient.ShouldBeTrue();
        fast.RetryAt.ShouldBe(limited.RetryAt);
        fake.Comments(Repo, n).ShouldBe(["two"]);
    }

    [Fact]
    public async Task SecondaryLimit_WithoutHeaders_WaitsAMinute()
    {
        var ct = TestContext.Current.CancellationToken;
        var n = _github.CreateIssue(Repo, "Limited", null, "drover");
        _github.RetryAfterSeconds = 0;
        _github.FailNext("/comments", 1, FakeFailure.SecondaryLimit);

        var e = await Should.ThrowAsync<ForgeException>(() => Client("github").CommentAsync(Repo, n, "x", ct));

        e.Transient.ShouldBeTrue();
        e.RetryAt.ShouldBe(_time.GetUtcNow() + TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task RateLimitExhausted_RetryAtIsTheResetTime()
    {
        var ct = TestContext.Current.CancellationToken;
        _github.RetryAfterSeconds = 300;
        _github.FailNext("/issues", 1, FakeFailure.RateLimitExhausted);

        var e = await Should.ThrowAsync<ForgeException>(() => Client("github").ListIssuesAsync(Repo, "drover", ct));

        // The fake's reset is wall-clock now + 300 s, and the fake time provider started at wall-clock now.
        e.Transient.ShouldBeTrue();
        e.RetryAt.ShouldNotBeNull().ShouldBeInRange(_time.GetUtcNow().AddSeconds(290), _time.GetUtcNow().AddSeconds(310));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Comment_MissingIssue_IsNotTransientAndNamesTheCall(string kind)
    {
        var ct = TestContext.Current.CancellationToken;

        var e = await Should.ThrowAsync<ForgeException>(() => Client(kind).CommentAsync(Repo, 404, "hello", ct));

        e.Transient.ShouldBeFalse();
        e.Status.ShouldBe(404);
        e.Message.ShouldStartWith($"{kind} comment on {Repo}#404 failed: HTTP 404");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ServerError_IsTransient(string kind)
    {
        var ct = TestContext.Current.CancellationToken;
        Fake(kind).FailNext("/issues", 1, FakeFailure.ServerError);

        var e = await Should.ThrowAsync<ForgeException>(() => Client(kind).ListIssuesAsync(Repo, "drover", ct));
        var after = await Client(kind).ListIssuesAsync(Repo, "drover", ct);

        e.Transient.ShouldBeTrue();
        e.Status.ShouldBe(500);
        e.RetryAt.ShouldBeNull();
        after.ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Hang_TimesOut_IsTransient(string kind)
    {
        var ct = TestContext.Current.CancellationToken;
        using var clients = Clients(TimeSpan.FromMilliseconds(500));
        Fake(kind).FailNext("/issues", 1, FakeFailure.Hang);

        var e = await Should.ThrowAsync<ForgeException>(() => clients.For(kind == "github" ? "github.com" : "git.example.com").ListIssuesAsync(Repo, "drover", ct));

        e.Transient.ShouldBeTrue();
        e.Status.ShouldBeNull();
        e.Message.ShouldContain("no answer within");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Unauthorized_IsNotTransient_AndHidesTheToken(string kind)
    {
        var ct = TestContext.Current.CancellationToken;
        using var wrong = Clients(TimeSpan.FromSeconds(30), githubToken: "ghp_wrongwrongwrongwrong");
        if (kind == "gitea")
            _gitea.FailNext("/issues", 1, FakeFailure.Unauthorized);

        var e = await Should.ThrowAsync<ForgeException>(() => wrong.For(kind == "github" ? "github.com" : "git.example.com").ListIssuesAsync(Repo, "drover", ct));

        e.Transient.ShouldBeFalse();
        e.Status.ShouldBe(401);
        e.Message.ShouldContain("Bad credentials");
        e.Message.ShouldContain($"list the issues of {Repo}");
        e.Message.ShouldNotContain("ghp_wrong");
        e.Message.ShouldNotContain(Fake(kind).Token);
    }

    public async ValueTask DisposeAsync()
    {
        _clients.Dispose();
        await _github.DisposeAsync();
        await _gitea.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
