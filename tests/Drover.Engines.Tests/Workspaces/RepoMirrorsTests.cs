using Drover.Engines.Tests.Support;
using Drover.Engines.Workspaces;

namespace Drover.Engines.Tests.Workspaces;

/// <summary>URL repos (SPEC §12) over file://: one mirror per remote under &lt;home&gt;/repos, worktrees added from it.</summary>
public sealed class RepoMirrorsTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _home;
    private readonly string _bare;
    private readonly string _head;
    private readonly string _url;

    public RepoMirrorsTests()
    {
        _home = _dir.Dir("home");
        var source = _dir.Combine("source");
        _head = Git.InitRepo(source);
        _bare = _dir.Combine("srv", "project.git");
        Git.Run(_dir.Path, "clone", "--quiet", "--bare", source, _bare);
        _url = "file://" + _bare;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PrepareAsync_FileUrl_AddsTheJobWorktreeFromTheMirror()
    {
        var mirrors = new RepoMirrors();

        var workspace = await new GitWorkspaces(mirrors: mirrors).PrepareAsync(_url, _home, 1, null, Ct);

        var mirror = Path.Combine(_home, "repos", "local", "tmp", Path.GetRelativePath("/tmp", _bare));
        RepoMirrors.MirrorPath(_home, _url).ShouldBe(mirror);
        workspace.IsGit.ShouldBeTrue();
        workspace.BaseSha.ShouldBe(_head);
        File.ReadAllText(Path.Combine(workspace.Directory, "README.md")).ShouldBe("hello\n");
        Git.Run(mirror, "rev-parse", "refs/heads/drover/1").ShouldBe(_head);
        Git.Run(workspace.Root, "rev-parse", "--path-format=absolute", "--git-common-dir").ShouldBe(mirror);
        File.ReadAllText(Path.Combine(mirror, "config")).ShouldNotContain("helper");
        mirrors.Fetches.ShouldBe(1);
    }

    [Fact]
    public async Task PrepareAsync_TwoJobsOfOneUrlSideBySide_ShareOneMirrorAndOneFetch()
    {
        var mirrors = new RepoMirrors();
        var workspaces = new GitWorkspaces(mirrors: mirrors);
        var baseSha = await new GitRepoInspector(mirrors: mirrors).ResolveBaseAsync(_url, null, Ct);
        baseSha.ShouldBe(_head);

        var both = await Task.WhenAll(
            workspaces.PrepareAsync(_url, _home, 1, baseSha, Ct),
            workspaces.PrepareAsync(_url, _home, 2, baseSha, Ct));

        both.Select(w => w.BaseSha).ShouldAllBe(sha => sha == _head);
        both[0].Root.ShouldNotBe(both[1].Root);
        mirrors.Fetches.ShouldBe(1);
        Directory.GetDirectories(Path.Combine(_home, "repos"), "*.git", SearchOption.AllDirectories).Length.ShouldBe(1);
    }

    [Fact]
    public async Task PrepareAsync_RecordedBaseMissingFromTheMirror_FetchesAndKeepsJobBranches()
    {
        var mirrors = new RepoMirrors();
        var workspaces = new GitWorkspaces(mirrors: mirrors);
        var first = await workspaces.PrepareAsync(_url, _home, 1, _head, Ct);
        File.WriteAllText(Path.Combine(first.Root, "job1.txt"), "work\n");
        (await workspaces.CheckpointAsync(first, "job 1", Ct)).ShouldBeTrue();
        var pusher = _dir.Combine("pusher");
        Git.Run(_dir.Path, "clone", "--quiet", _bare, pusher);
        File.WriteAllText(Path.Combine(pusher, "new.txt"), "new\n");
        var newer = Git.Commit(pusher, "upstream moved");
        Git.Run(pusher, "push", "--quiet", "origin", "HEAD:main");

        var second = await workspaces.PrepareAsync(_url, _home, 2, newer, Ct);

        second.BaseSha.ShouldBe(newer);
        File.Exists(Path.Combine(second.Root, "new.txt")).ShouldBeTrue();
        mirrors.Fetches.ShouldBe(2);
        Git.Run(RepoMirrors.MirrorPath(_home, _url), "show", "drover/1:job1.txt").ShouldBe("work");
    }

    [Fact]
    public async Task PrepareAsync_BaseNotResolvedAtSubmit_ResolvesTheRemoteHeadAtClaim()
    {
        var workspace = await new GitWorkspaces().PrepareAsync(_url, _home, 1, "main", Ct);

        workspace.BaseSha.ShouldBe(_head);
    }

    [Fact]
    public async Task PrepareAsync_BaseTheRemoteDoesNotHave_FailsNamingTheBase()
    {
        var e = await Should.ThrowAsync<WorkspaceException>(
            () => new GitWorkspaces().PrepareAsync(_url, _home, 1, "no-such-branch", Ct));

        e.Message.ShouldContain("base 'no-such-branch' is not a commit of " + _url);
    }

    [Fact]
    public async Task ResolveBase_UnreachableUrl_KeepsTheRefForTheFirstClaim()
    {
        var gone = "file://" + _dir.Combine("gone.git");

        (await new GitRepoInspector().ResolveBaseAsync(gone, "main", Ct)).ShouldBe("main");
        (await new GitRepoInspector().ResolveBaseAsync(gone, null, Ct)).ShouldBeNull();
        (await new GitRepoInspector().ResolveBaseAsync(_url, "main", Ct)).ShouldBe(_head);
    }

    [Fact]
    public async Task LockAsync_HeldByAnother_WaitsUntilReleased()
    {
        var path = _dir.Combine("m.lock");
        var held = await RepoMirrors.LockAsync(path, Ct);
        var second = RepoMirrors.LockAsync(path, Ct);
        await Task.Delay(200, Ct);
        second.IsCompleted.ShouldBeFalse();

        await held.DisposeAsync();
        await using var got = await second.WaitAsync(TimeSpan.FromSeconds(10), Ct);
    }

    [Fact]
    public async Task PruneAsync_MirrorUnusedPastTheCutoff_IsRemovedUnlessAJobWorktreeOrJobBranchUsesIt()
    {
        var mirrors = new RepoMirrors();
        var workspaces = new GitWorkspaces(mirrors: mirrors);
        var other = "file://" + _dir.Combine("other.git");
        Git.Run(_dir.Path, "clone", "--quiet", "--bare", _bare, _dir.Combine("other.git"));
        await workspaces.PrepareAsync(_url, _home, 1, null, Ct);
        await workspaces.PrepareAsync(other, _home, 2, null, Ct);
        await workspaces.RemoveAsync(_home, 2, Ct);
        var old = DateTime.UtcNow.AddDays(-40);
        Directory.SetLastWriteTimeUtc(RepoMirrors.MirrorPath(_home, _url), old);
        Directory.SetLastWriteTimeUtc(RepoMirrors.MirrorPath(_home, other), old);

        (await mirrors.PruneAsync(_home, DateTimeOffset.UtcNow.AddDays(-50), Ct)).ShouldBe(0);
        (await mirrors.PruneAsync(_home, DateTimeOffset.UtcNow.AddDays(-30), Ct)).ShouldBe(0, "job 2's branch is the only copy of its work");
        Git.Run(RepoMirrors.MirrorPath(_home, other), "branch", "-D", "drover/2");
        Directory.SetLastWriteTimeUtc(RepoMirrors.MirrorPath(_home, other), old);
        (await mirrors.PruneAsync(_home, DateTimeOffset.UtcNow.AddDays(-30), Ct)).ShouldBe(1);

        Directory.Exists(RepoMirrors.MirrorPath(_home, other)).ShouldBeFalse();
        Directory.Exists(RepoMirrors.MirrorPath(_home, _url)).ShouldBeTrue();
    }

    public void Dispose() => _dir.Dispose();
}
