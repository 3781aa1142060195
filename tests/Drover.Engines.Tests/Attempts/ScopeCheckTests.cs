using Drover.Engines.Attempts;

namespace Drover.Engines.Tests.Attempts;

public sealed class ScopeCheckTests
{
    [Fact]
    public void OutOfScope_NoAllowedPaths_AllowsEverything()
    {
        ScopeCheck.OutOfScope(["anything/at/all.txt", "README.md"], []).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("src/**", "src/a.cs", true)]
    [InlineData("src/**", "src/deep/er/a.cs", true)]
    [InlineData("src/**", "src/.hidden", true)]
    [InlineData("src/**", "srcx/a.cs", false)]
    [InlineData("src/**", "test/src/a.cs", false)]
    [InlineData("src/", "src/deep/a.cs", true)]
    [InlineData("/src/**", "src/a.cs", true)]
    [InlineData("./src/**", "src/a.cs", true)]
    [InlineData("  src/**  ", "src/a.cs", true)]
    [InlineData("docs/*.md", "docs/guide.md", true)]
    [InlineData("docs/*.md", "docs/deep/guide.md", false)]
    [InlineData("docs/*.md", "docs/guide.txt", false)]
    [InlineData("README.md", "README.md", true)]
    [InlineData("README.md", "readme.md", false)]
    [InlineData("README.md", "sub/README.md", false)]
    [InlineData("**/*.md", "README.md", true)]
    [InlineData("**/*.md", "a/b/c.md", true)]
    [InlineData("Src/**", "src/a.cs", false)]
    public void OutOfScope_MatchesGlobsCaseSensitively(string glob, string file, bool allowed)
    {
        var outside = ScopeCheck.OutOfScope([file], [glob]);

        if (allowed)
        {
            outside.ShouldBeEmpty();
        }
        else
        {
            outside.ShouldBe([file]);
        }
    }

    [Fact]
    public void OutOfScope_ReturnsTheDisallowedFilesInInputOrder()
    {
        var outside = ScopeCheck.OutOfScope(
            ["z.txt", "src/ok.cs", "a.txt", "docs/x.md", "src/also.cs"], ["src/**", "docs/"]);

        outside.ShouldBe(["z.txt", "a.txt"]);
    }

    [Fact]
    public void OutOfScope_WithAPrefix_MatchesBelowTheRepoDirAndRejectsEverythingOutsideIt()
    {
        var outside = ScopeCheck.OutOfScope(
            ["pkg/app/src/a.cs", "pkg/app/README.md", "pkg/other/src/b.cs", "src/c.cs"], ["src/**"], "pkg/app/");

        outside.ShouldBe(["pkg/app/README.md", "pkg/other/src/b.cs", "src/c.cs"]);
    }

    [Fact]
    public void Describe_ListsAFewAndCountsTheRest()
    {
        string[] files = ["a", "b", "c", "d", "e"];

        ScopeCheck.Describe(files, show: 5).ShouldBe("a, b, c, d, e");
        ScopeCheck.Describe(files, show: 2).ShouldBe("a, b and 3 more");
        ScopeCheck.Describe(Enumerable.Range(0, 12).Select(i => $"f{i}").ToList()).ShouldEndWith("f9 and 2 more");
    }
}
