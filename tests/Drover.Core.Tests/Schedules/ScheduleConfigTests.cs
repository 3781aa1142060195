using Drover.Core.Configuration;
using Drover.Core.Schedules;

namespace Drover.Core.Tests.Schedules;

public sealed class ScheduleConfigTests
{
    private const string Good = """
        [[schedules]]
        name = "nightly"
        cron = "0 3 * * *"
        timezone = "Europe/Berlin"
        overlap = "queue"
        catch_up = "skip"
        [schedules.job]
        repo = "/srv/app"
        prompt = "update deps"
        engine = "claude"
        priority = 80

        [[schedules]]
        name = "often"
        cron = "*/5 * * * * *"
        [schedules.job]
        repo = "/srv/app"
        command = "true"
        """;

    [Fact]
    public void Parse_Schedules_ReadsEveryFieldWithDefaults()
    {
        var config = DroverConfigLoader.Parse(Good);

        config.Schedules.Count.ShouldBe(2);
        var (nightly, often) = (config.Schedules[0], config.Schedules[1]);
        (nightly.Name, nightly.Cron, nightly.TimeZone, nightly.Overlap, nightly.CatchUp).ShouldBe(("nightly", "0 3 * * *", "Europe/Berlin", "queue", "skip"));
        nightly.Template["prompt"]!.GetValue<string>().ShouldBe("update deps");
        nightly.Template["priority"]!.GetValue<long>().ShouldBe(80);
        (often.TimeZone, often.Overlap, often.CatchUp).ShouldBe(("UTC", "skip", "once"));
    }

    [Theory]
    [InlineData("cron = \"61 * * * *\"", "schedules[0].cron")]
    [InlineData("cron = \"* * * * *\"\ntimezone = \"Mars/Olympus\"", "schedules[0].timezone")]
    [InlineData("cron = \"* * * * *\"\noverlap = \"maybe\"", "schedules[0].overlap")]
    [InlineData("cron = \"* * * * *\"\ncatch_up = \"all\"", "schedules[0].catch_up")]
    [InlineData("cron = \"* * * * *\"\nwhen = 1", "schedules[0].when")]
    public void Parse_BadScheduleField_IsConfigErrorNamingTheKey(string fields, string key)
    {
        var toml = $"[[schedules]]\nname = \"n\"\n{fields}\n[schedules.job]\nrepo = \"/srv/app\"\nprompt = \"x\"\nengine = \"claude\"\n";

        var e = Should.Throw<DroverConfigException>(() => DroverConfigLoader.Parse(toml));

        e.Message.ShouldContain(key + ":");
    }

    [Theory]
    [InlineData("priority = 500", "schedules[0].job.priority")]
    [InlineData("promt = \"typo\"", "schedules[0].job.promt")]
    [InlineData("key = \"k\"", "schedules[0].job.key")]
    public void Parse_BadTemplate_IsConfigErrorNamingTheSpecKey(string line, string key)
    {
        var toml = $"[[schedules]]\nname = \"n\"\ncron = \"@daily\"\n[schedules.job]\nrepo = \"/srv/app\"\nprompt = \"x\"\nengine = \"claude\"\n{line}\n";

        var e = Should.Throw<DroverConfigException>(() => DroverConfigLoader.Parse(toml));

        e.Message.ShouldContain(key + ":");
    }

    [Fact]
    public void Parse_TemplateWithoutRepoOrProfileRepo_IsRefused_ProfileRepoIsEnough()
    {
        var bare = "[[schedules]]\nname = \"n\"\ncron = \"@daily\"\n[schedules.job]\nprompt = \"x\"\nengine = \"claude\"\n";
        var withProfile = "[profiles.app]\nrepo = \"/srv/app\"\n\n[[schedules]]\nname = \"n\"\ncron = \"@daily\"\n[schedules.job]\nprompt = \"x\"\nengine = \"claude\"\nprofile = \"app\"\n";

        Should.Throw<DroverConfigException>(() => DroverConfigLoader.Parse(bare)).Message.ShouldContain("schedules[0].job.repo:");
        DroverConfigLoader.Parse(withProfile).Schedules.ShouldHaveSingleItem().Template["profile"]!.GetValue<string>().ShouldBe("app");
    }

    [Fact]
    public void Parse_DuplicateName_IsRefused()
    {
        var one = "[[schedules]]\nname = \"n\"\ncron = \"@daily\"\n[schedules.job]\nrepo = \"/a\"\nprompt = \"x\"\nengine = \"claude\"\n";

        Should.Throw<DroverConfigException>(() => DroverConfigLoader.Parse(one + "\n" + one)).Message.ShouldContain("defined twice");
    }
}
