using Drover.Core.Configuration;

namespace Drover.Core.Tests.Configuration;

public sealed class TrackerPollConfigTests
{
    private const string Forges = """
        [[forges]]
        host = "github.com"
        kind = "github"
        token_secret = "GH"

        [[forges]]
        host = "git.example.com"
        kind = "gitea"
        base_url = "https://git.example.com"
        token_secret = "GITEA"

        """;

    [Fact]
    public void Parse_TrackersWithForges_DefaultHostAndFiveMinutePoll()
    {
        var config = DroverConfigLoader.Parse(Forges + """
            [[trackers]]
            kind = "github"
            repo = "acme/app"
            path = "/srv/app"

            [[trackers]]
            kind = "gitea"
            repo = "team/tool"
            path = "/srv/tool"
            poll = "30s"

            [[trackers]]
            kind = "github"
            repo = "acme/other"
            path = "/srv/other"
            poll = "off"
            """);

        (config.Trackers[0].Host, config.Trackers[0].Poll).ShouldBe(("github.com", TimeSpan.FromMinutes(5)));
        (config.Trackers[1].Host, config.Trackers[1].Poll).ShouldBe(("git.example.com", TimeSpan.FromSeconds(30)));
        (config.Trackers[2].Host, config.Trackers[2].Poll).ShouldBe(("github.com", null));
    }

    [Fact]
    public void Parse_TrackerWithoutForge_IsWebhooksOnly()
    {
        var config = DroverConfigLoader.Parse("[[trackers]]\nkind = \"github\"\nrepo = \"a/b\"\npath = \"/r\"\n");

        (config.Trackers[0].Host, config.Trackers[0].Poll).ShouldBe((null, null));
    }

    [Theory]
    [InlineData("host = \"gitlab.com\"\n", "trackers[0].host: \"gitlab.com\" is not a [[forges]] host")]
    [InlineData("host = \"git.example.com\"\n", "is kind gitea, not github")]
    [InlineData("poll = \"often\"\n", "trackers[0].poll: expected a duration")]
    [InlineData("poll = \"1s\"\n", "out of range")]
    public void Parse_BadTrackerForge_NamesTheProblem(string extra, string contains) =>
        Should.Throw<DroverConfigException>(() => DroverConfigLoader.Parse(Forges + "[[trackers]]\nkind = \"github\"\nrepo = \"a/b\"\npath = \"/r\"\n" + extra))
            .Message.ShouldContain(contains);

    [Fact]
    public void Parse_PollWithoutForge_SaysToAddOne() =>
        Should.Throw<DroverConfigException>(() => DroverConfigLoader.Parse("[[trackers]]\nkind = \"gitea\"\nrepo = \"a/b\"\npath = \"/r\"\npoll = \"5m\"\n"))
            .Message.ShouldContain("polling needs the forge's API: add a [[forges]] entry of kind gitea");
}
