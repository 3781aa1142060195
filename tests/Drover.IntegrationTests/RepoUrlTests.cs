using System.Globalization;
using Drover.IntegrationTests.Gates;

namespace Drover.IntegrationTests;

/// <summary>A job's repo given by URL (SPEC §12) through the CLI: refused transports and credentials, and a file:// job end to end.</summary>
public sealed class RepoUrlTests
{
    [Fact]
    public async Task Submit_UrlWithCredentials_Exit2NamingRepoWithoutEchoingThem()
    {
        using var t = new TestHome();

        var r = await t.Cli.RunInAsync(t.Scratch, "submit", "--repo", "https://me:ghp_leaky123@github.com/o/r.git", "--command", "true");

        r.ExitCode.ShouldBe(2, r.ToString());
        r.Stderr.ShouldContain("repo: must not hold credentials: put credentials in [[forges]], not the URL");
        (r.Stdout + r.Stderr).ShouldNotContain("ghp_leaky123");
    }

    [Fact]
    public async Task Submit_ExtTransport_Exit2AndRunsNothing()
    {
        using var t = new TestHome();
        var marker = Path.Combine(t.Scratch, "pwned");

        var r = await t.Cli.RunInAsync(t.Scratch, "submit", "--repo", $"ext::sh -c touch% {marker}", "--command", "true");

        r.ExitCode.ShouldBe(2, r.ToString());
        r.Stderr.ShouldContain("repo: git's \"ext::\" transport is not allowed");
        File.Exists(marker).ShouldBeFalse();
    }

    [Fact]
    public async Task Serve_FileUrlJob_RecordsTheRemoteHeadAtSubmitAndRunsFromTheHostMirror()
    {
        using var t = new TestHome();
        var source = InProcessWorker.NewRepo(t.Scratch);
        var head = InProcessWorker.Git(source, "rev-parse", "HEAD").Trim();
        var bare = Path.Combine(t.Scratch, "project.git");
        InProcessWorker.Git(t.Scratch, "clone", "-q", "--bare", source, bare);
        await using var serve = t.Cli.Start("serve", "--port", "0", "--slots", "2");
        await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));

        var r = await t.Cli.RunInAsync(t.Scratch, "submit", "--repo", "file://" + bare, "--command", "echo done > out.txt", "--json");
        r.ExitCode.ShouldBe(0, r.ToString());
        var id = r.Json.GetProperty("id").GetInt64();
        var job = await t.WaitForJobAsync(id, j => j.GetProperty("state").GetString() is "succeeded" or "failed", TimeSpan.FromSeconds(90));

        job.GetProperty("state").GetString().ShouldBe("succeeded", job.ToString());
        job.ToString().ShouldContain(head);
        var mirror = Path.Combine(t.Home, "repos", "local", Path.GetRelativePath("/", bare));
        InProcessWorker.Git(mirror, "show", $"drover/{id.ToString(CultureInfo.InvariantCulture)}:out.txt").ShouldBe("done\n");
    }
}
