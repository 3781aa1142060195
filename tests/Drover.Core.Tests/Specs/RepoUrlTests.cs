using Drover.Core.Workspaces;

namespace Drover.Core.Tests.Specs;

/// <summary>A job's repo given as a git URL (SPEC §12): the four transports pass, everything else is refused at submit.</summary>
public sealed class RepoUrlTests : SpecTestBase
{
    [Theory]
    [InlineData("https://github.com/owner/repo.git")]
    [InlineData("ssh://git@github.com/owner/repo.git")]
    [InlineData("git@github.com:owner/repo.git")]
    [InlineData("file:///srv/git/repo.git")]
    public void Parse_RepoUrl_IsKeptAsGivenWithNoLock(string url)
    {
        var spec = With($$"""{"repo": "{{url}}"}""");

        spec.Repo.ShouldBe(url);
        spec.Lock.ShouldBeNull();
    }

    [Theory]
    [InlineData("https://user:ghp_secret123@github.com/o/r.git", "put credentials in [[forges]], not the URL")]
    [InlineData("https://ghp_secret123@github.com/o/r.git", "put credentials in [[forges]], not the URL")]
    [InlineData("ssh://git:pw@github.com/o/r.git", "put credentials in [[forges]], not the URL")]
    [InlineData("ext::sh -c touch% /tmp/pwned", "\"ext::\" transport is not allowed")]
    [InlineData("fd::3", "\"fd::\" transport is not allowed")]
    [InlineData("http://github.com/o/r.git", "the \"http\" scheme is not allowed")]
    [InlineData("git://github.com/o/r.git", "the \"git\" scheme is not allowed")]
    [InlineData("ftp://github.com/o/r.git", "the \"ftp\" scheme is not allowed")]
    [InlineData("https://github.com/", "names no repository path")]
    [InlineData("file://host/srv/repo.git", "absolute local path")]
    public void Parse_BadRepoUrl_IsRejectedOnRepo(string url, string message)
    {
        var e = Rejects($$"""{"repo": "{{url}}"}""", "repo", message);

        e.Message.ShouldNotContain("secret123");
    }

    [Theory]
    [InlineData("https://github.com/owner/repo.git", "github.com/owner/repo.git")]
    [InlineData("https://GitHub.com:8443/owner/repo", "github.com_8443/owner/repo.git")]
    [InlineData("git@github.com:owner/repo.git", "github.com/owner/repo.git")]
    [InlineData("ssh://git@host/a/../b.git", "host/b.git")]
    [InlineData("file:///srv/git/my%20repo.git", "local/srv/git/my_repo.git")]
    public void MirrorRelativePath_Url_IsHostAndSanitizedPath(string url, string expected) =>
        RepoUrl.MirrorRelativePath(url).ShouldBe(expected);

    [Fact]
    public void Parse_LocalPath_StillNeedsAnExistingDirectory() =>
        Rejects("""{"repo": "/no/such/dir"}""", "repo", "does not exist");
}
