namespace Drover.Core.Tests.Specs;

public sealed class JobSpecParserProfileTests : SpecTestBase
{
    public JobSpecParserProfileTests()
    {
        Ctx = Ctx with
        {
            Profiles = new Dictionary<string, JsonObject>
            {
                ["default"] = JsonNode.Parse("""{"engine": "codex", "timeout": "2h", "labels": {"team": "core"}}""")!.AsObject(),
                ["careful"] = JsonNode.Parse("""
                    {"engine": "claude", "verify": "make test", "review": "human", "stall-timeout": "30m",
                     "retry": {"max_attempts": 5, "backoff": "1m"}, "labels": {"team": "qa", "tier": "1"}}
                    """)!.AsObject(),
                ["broken"] = JsonNode.Parse("""{"tmeout": "5m"}""")!.AsObject(),
            },
        };
    }

    [Fact]
    public void Parse_NoProfileNamed_UsesDefaultProfile()
    {
        var spec = JobSpecParser.ParseObject(new JsonObject { ["prompt"] = "p" }, Ctx);
        spec.Engine.ShouldBe("codex");
        spec.Timeout.ShouldBe(TimeSpan.FromHours(2));
        spec.Profile.ShouldBe("default");
    }

    [Fact]
    public void Parse_DefaultProfileAbsent_IsFine()
    {
        Ctx = SpecParseContext.For(Dir.Path);
        With("""{"profile": "default"}""").Profile.ShouldBe("default");
    }

    [Fact]
    public void Parse_Precedence_JobOverProfileOverBuiltIn()
    {
        var spec = With("""{"profile": "careful", "review": "auto", "retry": {"backoff": "10s"}, "labels": {"team": "web"}}""");
        spec.Engine.ShouldBe("claude");                            // the job's own (With sets claude)
        spec.Verify.ShouldBe("make test");                         // profile
        spec.Review.ShouldBe(ReviewMode.Auto);                     // job beats profile
        spec.StallTimeout.ShouldBe(TimeSpan.FromMinutes(30));      // profile, via a kebab alias
        spec.Timeout.ShouldBe(TimeSpan.FromMinutes(60));           // built-in: "careful" has none, default profile not applied
        spec.Retry.MaxAttempts.ShouldBe(5);                        // profile, merged key by key
        spec.Retry.Backoff.ShouldBe(TimeSpan.FromSeconds(10));     // job
        spec.Retry.MaxBackoff.ShouldBe(RetryPolicy.Default.MaxBackoff);
        spec.Labels.ShouldBe(new Dictionary<string, string> { ["team"] = "web", ["tier"] = "1" });
        spec.Profile.ShouldBe("careful");
    }

    [Fact]
    public void Parse_JobNull_ClearsProfileValue() =>
        With("""{"profile": "careful", "verify": null}""").Verify.ShouldBeNull();

    [Fact]
    public void Parse_UnknownProfile_IsRejected() =>
        Rejects("""{"profile": "nope"}""", "profile", "unknown profile \"nope\"");

    [Fact]
    public void Parse_ProfileWithUnknownKey_IsRejectedNamingProfile() =>
        Rejects("""{"profile": "broken"}""", "profile", "profile \"broken\": unknown key \"tmeout\"");

    [Fact]
    public void Parse_ProfileValues_AreValidatedLikeJobValues()
    {
        Ctx = Ctx with { Profiles = new Dictionary<string, JsonObject> { ["x"] = new() { ["timeout"] = "0s" } } };
        Rejects("""{"profile": "x"}""", "timeout", "out of range");
    }

    [Fact]
    public void Parse_JobWithCommand_IsShellEvenWhenProfileNamesAnEngine()
    {
        var spec = JobSpecParser.ParseObject(new JsonObject { ["command"] = "make" }, Ctx);
        spec.Engine.ShouldBe("shell");
        spec.Labels["team"].ShouldBe("core"); // the rest of the default profile still applies
    }

    [Fact]
    public void Parse_ProfileWithCommandOnly_MakesShellJobs()
    {
        Ctx = Ctx with { Profiles = new Dictionary<string, JsonObject> { ["lint"] = new() { ["command"] = "make lint" } } };
        With("""{"profile": "lint", "engine": null}""").Engine.ShouldBe("shell");
    }
}
