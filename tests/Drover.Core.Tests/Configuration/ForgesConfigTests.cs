using Drover.Core.Configuration;

namespace Drover.Core.Tests.Configuration;

public sealed class ForgesConfigTests
{
    [Fact]
    public void Parse_Forges_AreReadInFileOrder()
    {
        var config = DroverConfigLoader.Parse("""
            [[forges]]
            host = "GitHub.com"
            kind = "github"
            token_secret = "GITHUB_TOKEN"

            [[forges]]
            host = "git.example.org"
            kind = "gitea"
            base_url = "https://git.example.org"
            token_secret = "GITEA_TOKEN"
            """);

        config.Forges.Count.ShouldBe(2);
        config.Forges[0].ShouldBe(new ForgeConfig { Host = "github.com", Kind = "github", TokenSecret = "GITHUB_TOKEN" });
        config.Forges[1].BaseUrl.ShouldBe(new Uri("https://git.example.org"));
        DroverConfig.Default.Forges.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("kind = \"github\"\ntoken_secret = \"T\"", "forges[0].host: is required")]
    [InlineData("host = \"https://github.com\"\nkind = \"github\"\ntoken_secret = \"T\"", "is not a host name")]
    [InlineData("host = \"github.com\"\nkind = \"gitlab\"\ntoken_secret = \"T\"", "forges[0].kind: \"gitlab\" is not one of github, gitea")]
    [InlineData("host = \"github.com\"\nkind = \"github\"", "forges[0].token_secret: is required")]
    [InlineData("host = \"git.x\"\nkind = \"gitea\"\ntoken_secret = \"T\"", "forges[0].base_url: is required for a gitea forge")]
    [InlineData("host = \"github.com\"\nkind = \"github\"\ntoken_secret = \"T\"\nbase_url = \"ftp://x\"", "is not an http(s) URL")]
    [InlineData("host = \"github.com\"\nkind = \"github\"\ntoken_secret = \"T\"\ntoken = \"ghp_x\"", "token")]
    public void Parse_BadForge_IsRejectedNamingTheKey(string body, string message) =>
        Should.Throw<DroverConfigException>(() => DroverConfigLoader.Parse("[[forges]]\n" + body + "\n")).Message.ShouldContain(message);

    [Fact]
    public void Parse_SameHostTwice_IsRejected() =>
        Should.Throw<DroverConfigException>(() => DroverConfigLoader.Parse("""
            [[forges]]
            host = "github.com"
            kind = "github"
            token_secret = "A"

            [[forges]]
            host = "github.com"
            kind = "github"
            token_secret = "B"
            """)).Message.ShouldContain("defined twice");
}
