using Drover.Core;
using Drover.Engines.Tests.Support;
using Drover.Engines.Workspaces;

namespace Drover.Engines.Tests.Workspaces;

public sealed class GitRepoInspectorTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly GitRepoInspector _inspector = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ResolveBase_NoRef_IsTheRepoHeadSha()
    {
        var repo = _dir.Combine("repo");
        var head = Git.InitRepo(repo);

        (await _inspector.ResolveBaseAsync(repo, null, Ct)).ShouldBe(head);
    }

    [Fact]
    public async Task ResolveBase_BranchTagOrShortSha_ResolveToTheCommitSha()
    {
        var repo = _dir.Combine("repo");
        var first = Git.InitRepo(repo);
        Git.Run(repo, "tag", "-a", "v1", "-m", "annotated tags peel to their commit");
        File.WriteAllText(Path.Combine(repo, "more.txt"), "x\n");
        var second = Git.Commit(repo, "second");

        (await _inspector.ResolveBaseAsync(repo, "main", Ct)).ShouldBe(second);
        (await _inspector.ResolveBaseAsync(repo, "v1", Ct)).ShouldBe(first);
        (await _inspector.ResolveBaseAsync(repo, first[..10], Ct)).ShouldBe(first);
        (await _inspector.ResolveBaseAsync(repo, "HEAD~1", Ct)).ShouldBe(first);
    }

    [Fact]
    public async Task ResolveBase_FromASubdirectoryOfTheRepo_Works()
    {
        var repo = _dir.Combine("repo");
        var head = Git.InitRepo(repo);

        (await _inspector.ResolveBaseAsync(Path.Combine(repo, "src"), null, Ct)).ShouldBe(head);
    }

    [Fact]
    public async Task ResolveBase_NotAGitRepo_IsNull()
    {
        (await _inspector.ResolveBaseAsync(_dir.Dir("plain"), "main", Ct)).ShouldBeNull();
    }

    [Theory]
    [InlineData("no-such-branch")]
    [InlineData("--output=/tmp/x")]
    [InlineData("0000000000000000000000000000000000000000")]
    public async Task ResolveBase_RefThatNamesNoCommit_IsRejectedOnBase(string gitRef)
    {
        var repo = _dir.Combine("repo");
        Git.InitRepo(repo);

        var e = await Should.ThrowAsync<JobSpecException>(() => _inspector.ResolveBaseAsync(repo, gitRef, Ct));

        e.Field.ShouldBe("base");
        e.Message.ShouldContain(gitRef);
    }

    [Fact]
    public async Task ResolveBase_RepoWithoutCommits_IsRejectedOnBase()
    {
        var repo = _dir.Dir("empty");
        Git.Run(repo, "init", "--quiet");

        var e = await Should.ThrowAsync<JobSpecException>(() => _inspector.ResolveBaseAsync(repo, null, Ct));

        e.Field.ShouldBe("base");
        e.Message.ShouldContain("no commits");
    }

    [Fact]
    public async Task ResolveBase_MissingDirectory_IsRejectedOnRepo()
    {
        var e = await Should.ThrowAsync<JobSpecException>(() => _inspector.ResolveBaseAsync(_dir.Combine("gone"), null, Ct));

        e.Field.ShouldBe("repo");
    }

    public void Dispose() => _dir.Dispose();
}
