using System.Text.Json;
using Drover.Server.Delivery;
using Drover.Server.Webhooks;

namespace Drover.IntegrationTests.Delivery;

/// <summary>Which forge events ask for a follow-up, and what the follow-up's spec keeps and adds.</summary>
public sealed class FollowUpTriggerTests
{
    private static JsonElement Json(object o) => JsonSerializer.SerializeToElement(o);

    [Fact]
    public void Trigger_GithubReviewRequestingChanges_CarriesTheReviewText()
    {
        var t = FollowUps.Trigger("github", "pull_request_review", Json(new
        {
            action = "submitted",
            review = new { id = 80, state = "changes_requested", body = "Please rename greet() to hello().", user = new { login = "octocat" } },
            pull_request = new { number = 7, head = new { @ref = "drover/12", sha = "abc" } },
        }));

        t.ShouldNotBeNull();
        (t.Branch, t.Id).ShouldBe(("drover/12", "review-80"));
        t.What.ShouldContain("octocat requested changes");
        t.What.ShouldContain("rename greet() to hello()");
    }

    [Theory]
    [InlineData("github", "pull_request_review", """{"action":"submitted","review":{"id":1,"state":"approved"},"pull_request":{"head":{"ref":"drover/1"}}}""")]
    [InlineData("github", "check_run", """{"action":"completed","check_run":{"conclusion":"success","head_sha":"a","check_suite":{"head_branch":"drover/1"}}}""")]
    [InlineData("github", "check_run", """{"action":"created","check_run":{"conclusion":"failure","head_sha":"a","check_suite":{"head_branch":"drover/1"}}}""")]
    [InlineData("github", "workflow_run", """{"action":"completed","workflow_run":{"conclusion":"cancelled","head_branch":"drover/1"}}""")]
    [InlineData("github", "push", """{"ref":"refs/heads/drover/1"}""")]
    public void Trigger_EventsThatAskForNoFix_AreNone(string kind, string eventName, string payload)
    {
        using var doc = JsonDocument.Parse(payload);
        FollowUps.Trigger(kind, eventName, doc.RootElement).ShouldBeNull();
    }

    [Fact]
    public void Trigger_FailedWorkflowRunAndGiteaRejection_NameTheBranch()
    {
        var workflow = FollowUps.Trigger("github", "workflow_run", Json(new
        {
            action = "completed",
            workflow_run = new { name = "CI", conclusion = "timed_out", head_branch = "drover/5", head_sha = "beef", html_url = "https://github.com/a/b/actions/runs/1" },
        }));
        var gitea = FollowUps.Trigger("gitea", "pull_request_review_rejected", Json(new
        {
            action = "reviewed",
            pull_request = new { number = 3, head = new { @ref = "drover/9", sha = "cafe" } },
            review = new { type = "pull_request_review_rejected", content = "Tests are missing." },
            sender = new { login = "lead" },
        }));

        (workflow!.Branch, workflow.Id).ShouldBe(("drover/5", "sha-beef"));
        workflow.What.ShouldContain("\"CI\" ended timed_out");
        (gitea!.Branch, gitea.Id).ShouldBe(("drover/9", "review-cafe"));
        gitea.What.ShouldContain("Tests are missing.");
    }

    [Theory]
    [InlineData("drover/12", true, 12)]
    [InlineData("drover/0", false, 0)]
    [InlineData("drover/x", false, 0)]
    [InlineData("feature/12", false, 0)]
    public void TryRootJob_OnlyDroverBranches(string branch, bool ok, long id)
    {
        FollowUps.TryRootJob(branch, out var got).ShouldBe(ok);
        if (ok)
            got.ShouldBe(id);
    }

    [Fact]
    public void Spec_FollowUp_KeepsTheOriginalAndPointsAtThePullRequestsBranch()
    {
        var original = """{"title":"Add a greeting","prompt":"Create greeting.txt","engine":"shell","command":"true","repo":"https://h/o/r.git","base":"0123abc","key":"github:o/r#4","after":["3"],"deliver":"pr_draft","labels":{"team":"core"},"tracker":"github:o/r#4"}""";

        var spec = FollowUps.Spec(original, "Add a greeting", 12, 2, new FollowUpTrigger("drover/12", "sha-1", "the check \"tests\" ended failure."), "https://h/o/r/pull/7", "followup:12:sha-1");

        ((string?)spec["title"]).ShouldBe("Follow-up 2 to job 12: Add a greeting");
        ((string?)spec["prompt"])!.ShouldStartWith("Create greeting.txt");
        ((string?)spec["prompt"])!.ShouldContain("https://h/o/r/pull/7 made for this work needs more: the check \"tests\" ended failure.");
        ((string?)spec["base"], (string?)spec["deliver_branch"], (string?)spec["deliver"], (string?)spec["key"]).ShouldBe(("drover/12", "drover/12", "pr_draft", "followup:12:sha-1"));
        ((string?)spec["tracker"]).ShouldBe("github:o/r#4", "the follow-up's end is echoed on the issue too");
        spec.ContainsKey("after").ShouldBeFalse();
        ((string?)spec["labels"]!["followup_of"], (string?)spec["labels"]!["team"]).ShouldBe(("12", "core"));
    }

    [Theory]
    [InlineData("https://github.com/acme/app.git", "acme/app")]
    [InlineData("https://ghe.example.com/acme/app", "acme/app")]
    [InlineData("git@github.com:acme/app.git", "acme/app")]
    [InlineData("https://gitea.example.com/sub/acme/app.git", "acme/app")]
    [InlineData("https://github.com/app.git", null)]
    public void ForgeRepo_FromRemoteUrls(string url, string? expected) => Deliverer.ForgeRepo(url).ShouldBe(expected);
}
