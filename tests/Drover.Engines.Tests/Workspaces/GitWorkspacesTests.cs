using Drover.Core.Jobs;
using Drover.Engines.Tests.Support;
using Drover.Engines.Workspaces;

namespace Drover.Engines.Tests.Workspaces;

public sealed class GitWorkspacesTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly GitWorkspaces _workspaces = new();
    private readonly string _repo;
    private readonly string _home;
    private readonly string _base;

    public GitWorkspacesTests()
    {
        _repo = _dir.Combine("repo");
        _home = _dir.Dir("home");
        _base = Git.InitRepo(_repo);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Prepare_GitRepo_CreatesAWorktreeOnTheJobBranchAtTheBase()
    {
        // The repo moves on after submit: the job still starts from the recorded base.
        File.WriteAllText(Path.Combine(_repo, "later.txt"), "later\n");
        Git.Commit(_repo, "after submit");

        var ws = await _workspaces.PrepareAsync(_repo, _home, 7, _base, Ct);

        var expected = Path.Combine(_home, "work", "7");
        ws.ShouldBe(new Workspace(expected, expected, true, "drover/7", _base, ""));
        GitWorkspaces.WorktreePath(_home, 7).ShouldBe(expected);
        GitWorkspaces.BranchName(7).ShouldBe("drover/7");
        Git.Run(expected, "rev-parse", "--abbrev-ref", "HEAD").ShouldBe("drover/7");
        Git.Run(expected, "rev-parse", "HEAD").ShouldBe(_base);
        File.Exists(Path.Combine(expected, "src", "app.txt")).ShouldBeTrue();
        File.Exists(Path.Combine(expected, "later.txt")).ShouldBeFalse();
        Git.Run(_repo, "worktree", "list", "--porcelain").ShouldContain($"worktree {expected}");
    }

    [Fact]
    public async Task Prepare_NoBase_StartsFromHead()
    {
        var ws = await _workspaces.PrepareAsync(_repo, _home, 1, null, Ct);

        ws.BaseSha.ShouldBe(_base);
    }

    [Fact]
    public async Task Prepare_BaseNamesNoCommit_ThrowsWorkspaceException()
    {
        await Should.ThrowAsync<WorkspaceException>(() => _workspaces.PrepareAsync(_repo, _home, 1, "no-such-ref", Ct));
        Directory.Exists(GitWorkspaces.WorktreePath(_home, 1)).ShouldBeFalse();
    }

    [Fact]
    public async Task Prepare_MissingRepo_ThrowsWorkspaceException()
    {
        await Should.ThrowAsync<WorkspaceException>(() => _workspaces.PrepareAsync(_dir.Combine("gone"), _home, 1, null, Ct));
    }

    [Fact]
    public async Task Prepare_RepoIsASubdirectory_RunsInTheSameSubdirectoryOfTheWorktree()
    {
        var ws = await _workspaces.PrepareAsync(Path.Combine(_repo, "src"), _home, 3, _base, Ct);

        var root = Path.Combine(_home, "work", "3");
        ws.Root.ShouldBe(root);
        ws.Prefix.ShouldBe("src/");
        ws.Directory.TrimEnd('/').ShouldBe(Path.Combine(root, "src"));
        File.Exists(Path.Combine(ws.Directory, "app.txt")).ShouldBeTrue();
    }

    [Fact]
    public async Task Prepare_NotAGitRepo_RunsInPlaceAndGitOperationsDoNothing()
    {
        var plain = _dir.Dir("plain");
        File.WriteAllText(Path.Combine(plain, "file.txt"), "x\n");

        var ws = await _workspaces.PrepareAsync(plain, _home, 5, null, Ct);

        ws.ShouldBe(Workspace.InPlace(plain));
        ws.IsGit.ShouldBeFalse();
        Directory.Exists(Path.Combine(_home, "work")).ShouldBeFalse();
        (await _workspaces.CheckpointAsync(ws, "nothing", Ct)).ShouldBeFalse();
        (await _workspaces.HeadAsync(ws, Ct)).ShouldBeNull();
        (await _workspaces.DiffStatsAsync(ws, Ct)).ShouldBeNull();
        (await _workspaces.ChangedFilesAsync(ws, Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Checkpoint_WithChanges_CommitsEverythingOnTheJobBranch()
    {
        var ws = await _workspaces.PrepareAsync(_repo, _home, 9, _base, Ct);
        File.WriteAllText(Path.Combine(ws.Root, "new.txt"), "a\nb\n");
        File.WriteAllText(Path.Combine(ws.Root, "src", "app.txt"), "one\nTWO\nthree\nfour\n");
        File.Delete(Path.Combine(ws.Root, "README.md"));

        (await _workspaces.CheckpointAsync(ws, "drover: job 9 attempt 1", Ct)).ShouldBeTrue();

        var head = await _workspaces.HeadAsync(ws, Ct);
        head.ShouldNotBe(_base);
        Git.Run(_repo, "rev-parse", "refs/heads/drover/9").ShouldBe(head);
        Git.Run(ws.Root, "log", "-1", "--format=%s|%an|%P").ShouldBe($"drover: job 9 attempt 1|drover|{_base}");
        Git.Run(ws.Root, "status", "--porcelain").ShouldBeEmpty();
        (await _workspaces.DiffStatsAsync(ws, Ct)).ShouldBe(new DiffStats(3, 4, 2));
        (await _workspaces.ChangedFilesAsync(ws, Ct)).ShouldBe(["README.md", "new.txt", "src/app.txt"], ignoreOrder: true);

        // The user's own checkout is untouched.
        Git.Run(_repo, "rev-parse", "HEAD").ShouldBe(_base);
        File.Exists(Path.Combine(_repo, "new.txt")).ShouldBeFalse();
    }

    [Fact]
    public async Task Checkpoint_NothingChanged_CommitsNothing()
    {
        var ws = await _workspaces.PrepareAsync(_repo, _home, 2, _base, Ct);

        (await _workspaces.CheckpointAsync(ws, "empty", Ct)).ShouldBeFalse();

        (await _workspaces.HeadAsync(ws, Ct)).ShouldBe(_base);
        (await _workspaces.DiffStatsAsync(ws, Ct)).ShouldBe(new DiffStats(0, 0, 0));
        (await _workspaces.ChangedFilesAsync(ws, Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Checkpoint_IgnoredFiles_StayOutOfTheCommit()
    {
        File.WriteAllText(Path.Combine(_repo, ".gitignore"), "build/\n");
        var baseSha = Git.Commit(_repo, "ignore build");
        var ws = await _workspaces.PrepareAsync(_repo, _home, 4, baseSha, Ct);
        Directory.CreateDirectory(Path.Combine(ws.Root, "build"));
        File.WriteAllText(Path.Combine(ws.Root, "build", "out.bin"), "junk");

        (await _workspaces.CheckpointAsync(ws, "ignored only", Ct)).ShouldBeFalse();
    }

    [Fact]
    public async Task Checkpoint_StaleIndexLockFromAKilledAgent_IsRemovedFirst()
    {
        var ws = await _workspaces.PrepareAsync(_repo, _home, 11, _base, Ct);
        var gitDir = Git.Run(ws.Root, "rev-parse", "--path-format=absolute", "--git-dir");
        File.WriteAllText(Path.Combine(gitDir, "index.lock"), "");
        File.WriteAllText(Path.Combine(ws.Root, "after-crash.txt"), "x\n");

        (await _workspaces.CheckpointAsync(ws, "after a crash", Ct)).ShouldBeTrue();

        File.Exists(Path.Combine(gitDir, "index.lock")).ShouldBeFalse();
    }

    [Fact]
    public async Task DiffStats_RenamesCountAsDeletePlusAdd_BinaryFilesCountWithoutLines()
    {
        var ws = await _workspaces.PrepareAsync(_repo, _home, 12, _base, Ct);
        File.Move(Path.Combine(ws.Root, "src", "app.txt"), Path.Combine(ws.Root, "src", "renamed.txt"));
        File.WriteAllBytes(Path.Combine(ws.Root, "blob.bin"), [0, 1, 2, 0, 255, 0]);
        File.WriteAllText(Path.Combine(ws.Root, "tab\there and\nnewline.txt"), "1\n2\n");
        await _workspaces.CheckpointAsync(ws, "shapes", Ct);

        (await _workspaces.DiffStatsAsync(ws, Ct)).ShouldBe(new DiffStats(4, 5, 3));
        (await _workspaces.ChangedFilesAsync(ws, Ct)).ShouldBe(
            ["blob.bin", "src/app.txt", "src/renamed.txt", "tab\there and\nnewline.txt"], ignoreOrder: true);
    }

    [Fact]
    public async Task Prepare_Retry_ReusesTheExistingWorktreeAndItsWork()
    {
        var first = await _workspaces.PrepareAsync(_repo, _home, 20, _base, Ct);
        File.WriteAllText(Path.Combine(first.Root, "uncommitted.txt"), "left by attempt 1\n");

        var again = await _workspaces.PrepareAsync(_repo, _home, 20, _base, Ct);

        again.ShouldBe(first);
        File.Exists(Path.Combine(again.Root, "uncommitted.txt")).ShouldBeTrue();
    }

    [Fact]
    public async Task Prepare_RetryAfterTheWorktreeWasRemoved_ResumesFromTheBranchCheckpoint()
    {
        var first = await _workspaces.PrepareAsync(_repo, _home, 21, _base, Ct);
        File.WriteAllText(Path.Combine(first.Root, "progress.txt"), "attempt 1\n");
        await _workspaces.CheckpointAsync(first, "attempt 1", Ct);
        var checkpoint = await _workspaces.HeadAsync(first, Ct);
        (await _workspaces.RemoveAsync(_home, 21, Ct)).ShouldBeTrue();

        var again = await _workspaces.PrepareAsync(_repo, _home, 21, _base, Ct);

        again.BaseSha.ShouldBe(_base, "diffs stay against the job's base, not the checkpoint");
        (await _workspaces.HeadAsync(again, Ct)).ShouldBe(checkpoint);
        File.ReadAllText(Path.Combine(again.Root, "progress.txt")).ShouldBe("attempt 1\n");
        (await _workspaces.DiffStatsAsync(again, Ct)).ShouldBe(new DiffStats(1, 1, 0));
    }

    [Fact]
    public async Task Prepare_HalfMadeWorktreeDirectory_IsReplaced()
    {
        var dir = GitWorkspaces.WorktreePath(_home, 30);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "debris.txt"), "from a crashed add");

        var ws = await _workspaces.PrepareAsync(_repo, _home, 30, _base, Ct);

        File.Exists(Path.Combine(ws.Root, "debris.txt")).ShouldBeFalse();
        Git.Run(ws.Root, "rev-parse", "HEAD").ShouldBe(_base);
    }

    [Fact]
    public async Task Prepare_ManyJobsOnOneRepoAtOnce_AllGetTheirOwnWorktree()
    {
        var jobs = Enumerable.Range(100, 6).Select(id => (long)id).ToList();

        var prepared = await Task.WhenAll(jobs.Select(id => _workspaces.PrepareAsync(_repo, _home, id, _base, Ct)));

        prepared.Select(w => w.Branch).ShouldBe(jobs.Select(GitWorkspaces.BranchName));
        foreach (var ws in prepared)
        {
            Git.Run(ws.Root, "rev-parse", "--abbrev-ref", "HEAD").ShouldBe(ws.Branch);
        }
    }

    [Fact]
    public async Task Remove_DeletesTheWorktreeButKeepsTheBranch()
    {
        var ws = await _workspaces.PrepareAsync(_repo, _home, 40, _base, Ct);
        File.WriteAllText(Path.Combine(ws.Root, "work.txt"), "x\n");
        await _workspaces.CheckpointAsync(ws, "work", Ct);
        File.WriteAllText(Path.Combine(ws.Root, "dirty.txt"), "not committed\n");

        (await _workspaces.RemoveAsync(_home, 40, Ct)).ShouldBeTrue();

        Directory.Exists(ws.Root).ShouldBeFalse();
        Git.Run(_repo, "worktree", "list", "--porcelain").ShouldNotContain(ws.Root);
        Git.Run(_repo, "branch", "--list", "drover/40").ShouldContain("drover/40");
        (await _workspaces.RemoveAsync(_home, 40, Ct)).ShouldBeFalse();
    }

    [Fact]
    public async Task CleanOrphans_RemovesOnlyTheWorktreesThatExist()
    {
        await _workspaces.PrepareAsync(_repo, _home, 50, _base, Ct);
        await _workspaces.PrepareAsync(_repo, _home, 51, _base, Ct);
        var kept = await _workspaces.PrepareAsync(_repo, _home, 52, _base, Ct);
        Directory.CreateDirectory(GitWorkspaces.WorktreePath(_home, 53)); // not a worktree: just a leftover dir

        (await _workspaces.CleanOrphansAsync(_home, [50, 51, 53, 99], Ct)).ShouldBe(3);

        Directory.Exists(GitWorkspaces.WorktreePath(_home, 50)).ShouldBeFalse();
        Directory.Exists(GitWorkspaces.WorktreePath(_home, 53)).ShouldBeFalse();
        Directory.Exists(kept.Root).ShouldBeTrue();
    }

    public void Dispose() => _dir.Dispose();
}
