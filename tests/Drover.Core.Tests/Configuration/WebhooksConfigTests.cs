using Drover.Core.Configuration;

namespace Drover.Core.Tests.Configuration;

public sealed class WebhooksConfigTests
{
    [Fact]
    public void Parse_WebhooksAndTrackers_AreRead()
    {
        var config = DroverConfigLoader.Parse("""
            [webhooks]
            github_secret = "GH_HOOK"

            [[trackers]]
            kind = "github"
            repo = "acme/app"
            path = "/srv/repos/app"
            profile = "issues"

            [[trackers]]
            kind = "gitea"
            repo = "team/tool"
            label = "bot"
            path = "/srv/repos/tool"
            """);

        (config.Webhooks.SecretFor("github"), config.Webhooks.SecretFor("gitea")).ShouldBe(("GH_HOOK", null));
        config.Trackers.Count.ShouldBe(2);
        config.Trackers[0].ShouldBe(new TrackerConfig { Kind = "github", Repo = "acme/app", Label = "drover", Path = "/srv/repos/app", Profile = "issues" });
        config.Trackers[1].Reference(12).ShouldBe("gitea:team/tool#12");
        config.Trackers[1].Label.ShouldBe("bot");
        DroverConfig.Default.Trackers.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("[webhooks]\ngithub_secret = \"bad name\"\n", "webhooks.github_secret")]
    [InlineData("[webhooks]\nsecret = \"X\"\n", "secret")]
    [InlineData("[[trackers]]\nkind = \"gitlab\"\nrepo = \"a/b\"\npath = \"/r\"\n", "not one of github, gitea")]
    [InlineData("[[trackers]]\nkind = \"github\"\nrepo = \"just-a-name\"\npath = \"/r\"\n", "not a repository name like owner/name")]
    [InlineData("[[trackers]]\nkind = \"github\"\nrepo = \"a/b\"\n", "trackers[0].path: is required")]
    [InlineData("[[trackers]]\nkind = \"github\"\nrepo = \"a/b\"\npath = \"rel/dir\"\n", "not an absolute path")]
    [InlineData("[[trackers]]\nkind = \"github\"\nrepo = \"a/b\"\npath = \"/r\"\n[[trackers]]\nkind = \"github\"\nrepo = \"A/B\"\npath = \"/s\"\n", "configured twice")]
    [InlineData("[[trackers]]\nkind = \"github\"\nrepo = \"a/b\"\npath = \"/r\"\nquery = \"is:open\"\n", "query")]
    public void Parse_BadWebhooksOrTrackers_NamesTheProblem(string toml, string contains) =>
        Should.Throw<DroverConfigException>(() => DroverConfigLoader.Parse(toml)).Message.ShouldContain(contains);
}
