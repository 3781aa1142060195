using System.Globalization;
using System.Text.Json;
using Drover.IntegrationTests.Forges;

namespace Drover.IntegrationTests.Delivery;

/// <summary>
/// Delivery through a real serve (SPEC §12): a succeeded job's branch pushed over TLS with the forge token from the
/// secret store and its pull request opened with the body the spec asks for; a push rejected as non-fast-forward; a
/// serve killed between push and pull request; a draft for a job that failed verify; a forge answering 500.
/// </summary>
public sealed class DeliveryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Serve_SucceededJobWithDeliverPr_PushesTheBranchAndOpensOnePullRequestWithItsBody()
    {
        await using var f = await DeliveryFixture.StartAsync(ct: Ct);
        await using var serve = await f.ServeAsync();

        var id = await f.SubmitAsync("--command", "echo fixed > fix.txt", "--verify", "test -f fix.txt", "--title", "Fix the thing", "--deliver", "pr");
        var job = await f.WaitForDeliveryAsync(id, "delivered", "failed");

        var delivery = job.GetProperty("delivery");
        delivery.GetProperty("state").GetString().ShouldBe("delivered", job.ToString());
        var pull = f.Forge.Pulls(DeliveryFixture.Repo).ShouldHaveSingleItem();
        delivery.GetProperty("url").GetString().ShouldBe($"https://github.com/{DeliveryFixture.Repo}/pull/{pull.Number}");
        (pull.Head, pull.Base, pull.Title, pull.Draft).ShouldBe(($"drover/{Id(id)}", "main", "Fix the thing", false));
        pull.Body.ShouldNotBeNull();
        pull.Body.ShouldContain("### What was asked");
        pull.Body.ShouldContain("1 file changed, +1");
        pull.Body.ShouldContain("`test -f fix.txt` passed.");
        pull.Body.ShouldContain($"[job #{Id(id)}](https://drover.example.com/#/jobs/{Id(id)})");
        f.RemoteSha($"drover/{Id(id)}").ShouldBe(job.GetProperty("head").GetString());

        var ls = await f.Home.Cli.RunAsync("ls");
        ls.Stdout.ShouldContain($"acme/app/pull/{pull.Number}");
        var show = await f.Home.Cli.RunAsync("show", Id(id));
        show.Stdout.ShouldContain($"pr delivered: https://github.com/{DeliveryFixture.Repo}/pull/{pull.Number}");

        // The token reached git and the forge, and nothing else: no file of the home, no event, no output.
        f.Git.Authorized.ShouldBeGreaterThan(0);
        f.FilesHolding(f.Forge.Token).ShouldBeEmpty();
        var events = await f.Home.Cli.RunAsync("show", Id(id), "--json");
        events.Stdout.ShouldNotContain(f.Forge.Token);
        serve.Output.ShouldNotContain(f.Forge.Token);
    }

    [Fact]
    public async Task Serve_RemoteBranchAheadOfTheJobs_DeliveryFailsAsNonFastForwardAndTheJobStaysSucceeded()
    {
        await using var f = await DeliveryFixture.StartAsync(ct: Ct);
        // Someone else's commit already sits on the remote under the name the job's branch will have (job 1).
        var other = Path.Combine(f.Home.Scratch, "other");
        Gates.InProcessWorker.Git(f.Home.Scratch, "clone", "-q", f.Bare, other);
        File.WriteAllText(Path.Combine(other, "theirs.txt"), "theirs\n");
        Gates.InProcessWorker.Git(other, "add", "-A");
        Gates.InProcessWorker.Git(other, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-q", "-m", "theirs");
        Gates.InProcessWorker.Git(other, "push", "-q", "origin", "HEAD:refs/heads/drover/1");
        var theirs = f.RemoteSha("drover/1");
        await using var serve = await f.ServeAsync();

        var id = await f.SubmitAsync("--command", "echo mine > mine.txt", "--deliver", "push");
        id.ShouldBe(1);
        var job = await f.WaitForDeliveryAsync(id, "delivered", "failed");

        job.GetProperty("state").GetString().ShouldBe("succeeded");
        var delivery = job.GetProperty("delivery");
        delivery.GetProperty("state").GetString().ShouldBe("failed");
        delivery.GetProperty("reason").GetString()!.ShouldContain("non-fast-forward");
        f.RemoteSha("drover/1").ShouldBe(theirs, "nothing was overwritten");
    }

    [Fact]
    public async Task Serve_KilledBetweenPushAndPullRequest_OpensThePullRequestOnceAfterTheRestart()
    {
        await using var f = await DeliveryFixture.StartAsync(ct: Ct);
        f.Forge.FailNext("/pulls", 1, FakeFailure.Hang, "POST");
        var serve = await f.ServeAsync();
        long id;
        try
        {
            id = await f.SubmitAsync("--command", "echo fixed > fix.txt", "--deliver", "pr");
            await Gates.InProcessWorker.WaitUntilAsync(() => Task.FromResult(f.Forge.Requests.Any(r => r.Method == "POST" && r.Path.EndsWith("/pulls", StringComparison.Ordinal))), TimeSpan.FromSeconds(90));
            f.RemoteSha($"drover/{Id(id)}").ShouldNotBeNull("the push came first");
            serve.Signal(9);
            (await serve.WaitForExitAsync(TimeSpan.FromSeconds(10))).ShouldBeTrue();
        }
        finally
        {
            await serve.DisposeAsync();
        }

        f.Forge.Pulls(DeliveryFixture.Repo).ShouldBeEmpty();
        await using var again = await f.ServeAsync();
        var job = await f.WaitForDeliveryAsync(id, "delivered", "failed");

        job.GetProperty("delivery").GetProperty("state").GetString().ShouldBe("delivered", job.ToString());
        f.Forge.Pulls(DeliveryFixture.Repo).ShouldHaveSingleItem().Head.ShouldBe($"drover/{Id(id)}");
    }

    [Fact]
    public async Task Serve_VerifyFailsWithDraftOnFailure_OpensADraftSayingWhy()
    {
        await using var f = await DeliveryFixture.StartAsync(ct: Ct);
        await using var serve = await f.ServeAsync();
        var file = Path.Combine(f.Home.Scratch, "job.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["title"] = "Try the fix",
            ["command"] = "echo half > half.txt",
            ["verify"] = "echo 'tests: 3 failed' >&2; exit 1",
            ["deliver"] = "pr",
            ["deliver_on_failure"] = "draft",
            ["retry"] = new Dictionary<string, object> { ["max_attempts"] = 1 },
        }), Ct);

        var id = await f.SubmitAsync("-f", file);
        var job = await f.WaitForDeliveryAsync(id, "delivered", "failed");

        job.GetProperty("state").GetString().ShouldBe("failed");
        job.GetProperty("class").GetString().ShouldBe("verify_failed");
        job.GetProperty("delivery").GetProperty("mode").GetString().ShouldBe("pr_draft");
        var pull = f.Forge.Pulls(DeliveryFixture.Repo).ShouldHaveSingleItem();
        pull.Draft.ShouldBeTrue();
        pull.Title.ShouldBe("[verify failed] Try the fix");
        pull.Body!.ShouldContain("failed:");
    }

    [Fact]
    public async Task Serve_ForgeAnswers500ThenRecovers_DeliveryIsTriedAgainAndDelivered()
    {
        await using var f = await DeliveryFixture.StartAsync(ct: Ct);
        f.Forge.FailNext("/pulls", 2, FakeFailure.ServerError, "POST");
        await using var serve = await f.ServeAsync();

        var id = await f.SubmitAsync("--command", "echo fixed > fix.txt", "--deliver", "pr_draft");
        var job = await f.WaitForDeliveryAsync(id, "delivered", "failed");

        var delivery = job.GetProperty("delivery");
        delivery.GetProperty("state").GetString().ShouldBe("delivered", job.ToString());
        delivery.GetProperty("tries").GetInt32().ShouldBe(3);
        f.Forge.Pulls(DeliveryFixture.Repo).ShouldHaveSingleItem().Draft.ShouldBeTrue();
        var events = (await f.Home.Cli.RunAsync("show", Id(id), "--json")).Json.GetProperty("events");
        events.EnumerateArray().Count(e => e.GetProperty("type").GetString() == "delivery.retrying").ShouldBe(2);
    }

    [Fact]
    public async Task Deliver_SucceededJobThatAskedNone_PushesWhenAnOperatorAsks()
    {
        await using var f = await DeliveryFixture.StartAsync(ct: Ct);
        await using var serve = await f.ServeAsync();
        var id = await f.SubmitAsync("--command", "echo later > later.txt");
        await f.Home.WaitForJobAsync(id, j => j.GetProperty("state").GetString() == "succeeded", TimeSpan.FromSeconds(90));
        f.RemoteSha($"drover/{Id(id)}").ShouldBeNull();

        var r = await f.Home.Cli.RunAsync("deliver", Id(id), "--mode", "push");
        r.ExitCode.ShouldBe(0, r.ToString());
        var job = await f.WaitForDeliveryAsync(id, "delivered", "failed");

        job.GetProperty("delivery").GetProperty("state").GetString().ShouldBe("delivered", job.ToString());
        f.RemoteSha($"drover/{Id(id)}").ShouldBe(job.GetProperty("head").GetString());
        var again = await f.Home.Cli.RunAsync("deliver", Id(id), "--mode", "push");
        again.ExitCode.ShouldNotBe(0);
        again.Stderr.ShouldContain("already delivered");
    }

    [Fact]
    public async Task Serve_GiteaForgeDraft_OpensAWorkInProgressPullRequestThroughGiteasApi()
    {
        await using var f = await DeliveryFixture.StartAsync(kind: "gitea", ct: Ct);
        await using var serve = await f.ServeAsync();

        var id = await f.SubmitAsync("--command", "echo fixed > fix.txt", "--title", "Fix on Gitea", "--deliver", "pr_draft");
        var job = await f.WaitForDeliveryAsync(id, "delivered", "failed");

        job.GetProperty("delivery").GetProperty("state").GetString().ShouldBe("delivered", job.ToString());
        var pull = f.Forge.Pulls(DeliveryFixture.Repo).ShouldHaveSingleItem();
        (pull.Head, pull.Title, pull.Draft).ShouldBe(($"drover/{Id(id)}", "WIP: Fix on Gitea", true));
        f.Forge.Requests.ShouldContain(r => r.Method == "POST" && r.Path.StartsWith("/api/v1/repos/acme/app/pulls", StringComparison.Ordinal));
        f.FilesHolding(f.Forge.Token).ShouldBeEmpty();
    }

    [Fact]
    public async Task Serve_Automerge_AsksTheForgeToMergeWhenChecksPass()
    {
        await using var f = await DeliveryFixture.StartAsync(ct: Ct);
        await using var serve = await f.ServeAsync();
        var file = Path.Combine(f.Home.Scratch, "job.json");
        await File.WriteAllTextAsync(file, """{"title": "Merge me", "command": "echo ok > ok.txt", "deliver": "pr", "automerge": true}""", Ct);

        var id = await f.SubmitAsync("-f", file);
        var job = await f.WaitForDeliveryAsync(id, "delivered", "failed");

        job.GetProperty("delivery").GetProperty("state").GetString().ShouldBe("delivered", job.ToString());
        f.Forge.Pulls(DeliveryFixture.Repo).ShouldHaveSingleItem().AutomergeRequested.ShouldBeTrue();
    }
}
