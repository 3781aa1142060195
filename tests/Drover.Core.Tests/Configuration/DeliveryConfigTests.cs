using Drover.Core.Configuration;

namespace Drover.Core.Tests.Configuration;

public sealed class DeliveryConfigTests
{
    [Fact]
    public void Parse_Delivery_IsRead_DefaultsWithout()
    {
        var config = DroverConfigLoader.Parse("""
            [delivery]
            remote = "upstream"
            link = "https://drover.example.com/#/jobs/{id}"
            max_tries = 3
            backoff = "5s"
            max_followups = 0
            """);

        config.Delivery.ShouldBe(new DeliveryConfig
        {
            Remote = "upstream",
            Link = "https://drover.example.com/#/jobs/{id}",
            MaxTries = 3,
            Backoff = TimeSpan.FromSeconds(5),
            MaxFollowups = 0,
        });
        config.Delivery.LinkFor(12).ShouldBe("https://drover.example.com/#/jobs/12");
        DroverConfig.Default.Delivery.ShouldBe(new DeliveryConfig());
        (DroverConfig.Default.Delivery.Remote, DroverConfig.Default.Delivery.MaxTries, DroverConfig.Default.Delivery.MaxFollowups).ShouldBe(("origin", 8, 3));
        DroverConfig.Default.Delivery.LinkFor(1).ShouldBeNull();
    }

    [Theory]
    [InlineData("[delivery]\nremote = \"-x\"\n", "delivery.remote")]
    [InlineData("[delivery]\nlink = \"javascript:alert(1)\"\n", "delivery.link")]
    [InlineData("[delivery]\nmax_tries = 0\n", "delivery.max_tries")]
    [InlineData("[delivery]\nbackoff = \"0s\"\n", "delivery.backoff")]
    [InlineData("[delivery]\nmax_followups = -1\n", "delivery.max_followups")]
    [InlineData("[delivery]\nforce = true\n", "force")]
    public void Parse_BadDelivery_NamesTheProblem(string toml, string contains) =>
        Should.Throw<DroverConfigException>(() => DroverConfigLoader.Parse(toml)).Message.ShouldContain(contains);

    [Fact]
    public void Parse_TrackerPathMayBeAGitUrlButNotADangerousOne()
    {
        var config = DroverConfigLoader.Parse("""
            [[trackers]]
            kind = "github"
            repo = "acme/app"
            path = "https://github.com/acme/app.git"
            """);

        config.Trackers.ShouldHaveSingleItem().Path.ShouldBe("https://github.com/acme/app.git");
        Should.Throw<DroverConfigException>(() => DroverConfigLoader.Parse("""
            [[trackers]]
            kind = "github"
            repo = "acme/app"
            path = "ext::sh -c touch% /tmp/pwned"
            """)).Message.ShouldContain("transport is not allowed");
    }

    [Fact]
    public void Template_ShowsTheDeliverySettings()
    {
        DroverConfig.DefaultToml.ShouldContain("# [delivery]");
        DroverConfig.DefaultToml.ShouldContain("# remote = \"origin\"");
        DroverConfig.DefaultToml.ShouldContain("# max_tries = 8");
        DroverConfig.DefaultToml.ShouldContain("# backoff = \"15s\"");
        DroverConfig.DefaultToml.ShouldContain("# max_followups = 3");
    }
}
