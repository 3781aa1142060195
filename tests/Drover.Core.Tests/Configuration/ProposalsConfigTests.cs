using Drover.Core.Configuration;

namespace Drover.Core.Tests.Configuration;

public sealed class ProposalsConfigTests
{
    [Fact]
    public void Parse_Proposals_AreRead_DefaultsWithout()
    {
        var config = DroverConfigLoader.Parse("""
            [proposals]
            remember = "7d"
            max_per_day = 5
            """);

        config.Proposals.ShouldBe(new ProposalsConfig { Remember = TimeSpan.FromDays(7), MaxPerDay = 5 });
        DroverConfig.Default.Proposals.ShouldBe(new ProposalsConfig { Remember = TimeSpan.FromDays(30), MaxPerDay = 20 });
    }

    [Theory]
    [InlineData("[proposals]\nremember = \"soon\"\n", "proposals.remember")]
    [InlineData("[proposals]\nmax_per_day = -1\n", "proposals.max_per_day")]
    [InlineData("[proposals]\nmax_per_hour = 3\n", "max_per_hour")]
    public void Parse_BadProposals_NamesTheProblem(string toml, string contains) =>
        Should.Throw<DroverConfigException>(() => DroverConfigLoader.Parse(toml)).Message.ShouldContain(contains);

    [Fact]
    public void Template_ShowsTheProposalsSettings()
    {
        DroverConfig.DefaultToml.ShouldContain("# [proposals]");
        DroverConfig.DefaultToml.ShouldContain("# remember = \"30d\"");
        DroverConfig.DefaultToml.ShouldContain("# max_per_day = 20");
    }
}
