using System.Text.Json;
using Drover.Core.Approvals;
using Drover.Core.Configuration;
using Drover.Core.Tests.Specs;

namespace Drover.Core.Tests.Approvals;

public sealed class ApprovalRulesTests : SpecTestBase
{
    private const string Workspace = "/work/job-1";

    private static JsonElement Input(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static JsonElement Command(string command) => Input(JsonSerializer.Serialize(new { command }));

    private static JsonElement FilePath(string path) => Input(JsonSerializer.Serialize(new { file_path = path }));

    private static ApprovalAction Decide(string tool, JsonElement input, IEnumerable<string> rules, params string[] always) =>
        ApprovalRules.Decide(rules.Select(ApprovalRule.Parse), always.Select(ApprovalRule.Parse), tool, input, Workspace).Action;

    [Theory]
    [InlineData("Bash(git push*)", "git push origin main", true)]
    [InlineData("Bash(git push*)", "  git push  ", true)]
    [InlineData("Bash(git push*)", "git status", false)]
    [InlineData("Bash(rm -rf /*)", "rm -rf /home/x", true)]
    [InlineData("Bash", "anything at all", true)]
    [InlineData("Bash(ls \\*)", "ls *", true)]
    [InlineData("Bash(ls \\*)", "ls foo", false)]
    public void Matches_BashGlobOverTheCommand_MatchesAsExpected(string pattern, string command, bool expected) =>
        ApprovalRule.Parse($"ask {pattern}").Matches("Bash", Command(command), Workspace).ShouldBe(expected);

    [Theory]
    [InlineData("Edit(src/**)", "/work/job-1/src/a/b.cs", true)]
    [InlineData("Edit(src/**)", "src/a.cs", true)]
    [InlineData("Edit(src/*.cs)", "/work/job-1/src/a/b.cs", false)]
    [InlineData("Edit(src/**/*.cs)", "/work/job-1/src/b.cs", true)]
    [InlineData("Edit(**/.env)", "/work/job-1/deep/dir/.env", true)]
    [InlineData("Edit(/etc/**)", "/etc/passwd", true)]
    [InlineData("Edit(src/**)", "/work/job-1/docs/a.md", false)]
    [InlineData("Edit(src/**)", "/elsewhere/src/a.cs", false)]
    public void Matches_EditGlobOverThePath_RelativeToTheWorkspace(string pattern, string path, bool expected) =>
        ApprovalRule.Parse($"deny {pattern}").Matches("Edit", FilePath(path), Workspace).ShouldBe(expected);

    [Fact]
    public void Matches_BareAndMcpNames_MatchTheToolName()
    {
        var empty = Input("{}");
        ApprovalRule.Parse("deny WebFetch").Matches("WebFetch", Input("""{"url":"https://x"}"""), null).ShouldBeTrue();
        ApprovalRule.Parse("deny WebFetch").Matches("WebSearch", empty, null).ShouldBeFalse();
        ApprovalRule.Parse("ask mcp__github__create_issue").Matches("mcp__github__create_issue", empty, null).ShouldBeTrue();
        ApprovalRule.Parse("ask mcp__github__*").Matches("mcp__github__merge", empty, null).ShouldBeTrue();
        ApprovalRule.Parse("ask mcp__github__*").Matches("mcp__gitlab__merge", empty, null).ShouldBeFalse();
        ApprovalRule.Parse("ask Edit(src/**)").Matches("Write", FilePath("src/a"), Workspace).ShouldBeFalse();
        ApprovalRule.Parse("ask Write(src/**)").Matches("Write", FilePath("src/a"), Workspace).ShouldBeTrue();
    }

    [Fact]
    public void Decide_DenyOverAskOverAllow_AndNoRuleAllows()
    {
        string[] rules = ["allow Bash(git *)", "ask Bash(git push*)", "deny Bash(git push --force*)"];
        Decide("Bash", Command("git status"), rules).ShouldBe(ApprovalAction.Allow);
        Decide("Bash", Command("git push origin"), rules).ShouldBe(ApprovalAction.Ask);
        Decide("Bash", Command("git push --force origin"), rules).ShouldBe(ApprovalAction.Deny);
        Decide("Bash", Command("make"), rules).ShouldBe(ApprovalAction.Allow);
        Decide("Edit", FilePath("a"), []).ShouldBe(ApprovalAction.Allow);
    }

    [Fact]
    public void Decide_JobAllowAfterConfigAsk_StillAsks()
    {
        // Config rules first, the job's after: one list, so the job's allow cannot loosen the config's ask or deny.
        string[] rules = ["ask Bash(git push*)", "deny WebFetch", "allow Bash(git push*)", "allow WebFetch"];
        Decide("Bash", Command("git push"), rules).ShouldBe(ApprovalAction.Ask);
        Decide("WebFetch", Input("""{"url":"https://x"}"""), rules).ShouldBe(ApprovalAction.Deny);
    }

    [Fact]
    public void Decide_AlwaysRule_OverridesAskButNotDeny()
    {
        string[] rules = ["ask Bash", "deny Bash(rm *)"];
        var always = ApprovalRules.ExactPattern("Bash", Command("touch a.txt"));
        always.ShouldBe("Bash(touch a.txt)");
        Decide("Bash", Command("touch a.txt"), rules, $"allow {always}").ShouldBe(ApprovalAction.Allow);
        Decide("Bash", Command("touch b.txt"), rules, $"allow {always}").ShouldBe(ApprovalAction.Ask);
        Decide("Bash", Command("rm x"), rules, "allow Bash(rm x)").ShouldBe(ApprovalAction.Deny);
        Decide("Bash", Command("ls"), rules, "deny Bash(ls)").ShouldBe(ApprovalAction.Deny);
    }

    [Fact]
    public void ExactPattern_GlobCharacters_MatchOnlyThemselves()
    {
        var pattern = ApprovalRules.ExactPattern("Bash", Command("rm *.tmp"));
        var rule = ApprovalRule.Parse($"allow {pattern}");
        rule.Matches("Bash", Command("rm *.tmp"), null).ShouldBeTrue();
        rule.Matches("Bash", Command("rm important.tmp"), null).ShouldBeFalse();
        ApprovalRules.ExactPattern("WebFetch", Input("{}")).ShouldBe("WebFetch");
        ApprovalRules.ExactPattern("Edit", FilePath("/w/src/a.cs")).ShouldBe("Edit(/w/src/a.cs)");
    }

    [Fact]
    public void Enforced_OnlyAllowRules_IsFalse()
    {
        ApprovalRules.Enforced([]).ShouldBeFalse();
        ApprovalRules.Enforced([ApprovalRule.Parse("allow Bash")]).ShouldBeFalse();
        ApprovalRules.Enforced([ApprovalRule.Parse("allow Bash"), ApprovalRule.Parse("ask Edit")]).ShouldBeTrue();
    }

    [Theory]
    [InlineData("ask", "not \"ACTION TOOL\"")]
    [InlineData("maybe Bash", "action \"maybe\" is not one of allow, ask, deny")]
    [InlineData("ask Bash(", "is not a tool name")]
    [InlineData("ask Ba sh", "is not a tool name")]
    public void Parse_BadRule_SaysWhatIsWrong(string text, string message) =>
        Should.Throw<FormatException>(() => ApprovalRule.Parse(text)).Message.ShouldContain(message);

    [Fact]
    public void Parse_Config_ReadsBothFormsAndTimeout()
    {
        var config = DroverConfigLoader.Parse("""
            [approvals]
            rules = ["ask Bash(git push*)", { tool = "WebFetch", action = "deny" }]
            timeout = "90s"
            """);
        config.Approvals.Rules.ShouldBe([new ApprovalRule("Bash(git push*)", ApprovalAction.Ask), new ApprovalRule("WebFetch", ApprovalAction.Deny)]);
        config.Approvals.Timeout.ShouldBe(TimeSpan.FromSeconds(90));
        DroverConfigLoader.Parse("").Approvals.Timeout.ShouldBe(TimeSpan.FromMinutes(10));
        Should.Throw<DroverConfigException>(() => DroverConfigLoader.Parse("[approvals]\nrules = [\"perhaps Bash\"]\n"))
            .Message.ShouldContain("approvals.rules: action \"perhaps\"");
    }

    [Fact]
    public void Parse_SpecApprovals_CompactFormAddedToTheProfiles()
    {
        Ctx = Ctx with
        {
            Profiles = new Dictionary<string, JsonObject>
            {
                ["guarded"] = JsonNode.Parse("""{"approvals": ["deny WebFetch"]}""")!.AsObject(),
            },
        };
        var spec = With("""{"profile": "guarded", "approvals": [{"tool": "Bash(git push*)", "action": "ask"}, "allow Edit(src/**)"]}""");
        spec.Approvals.ShouldBe(["deny WebFetch", "ask Bash(git push*)", "allow Edit(src/**)"]);
        JobSpecJson.Deserialize(JobSpecJson.Serialize(spec)).Approvals.ShouldBe(spec.Approvals);
        JobSpecJson.Serialize(With("{}")).ShouldNotContain("approvals");
        Rejects("""{"approvals": ["sometimes Bash"]}""", "approvals", "action \"sometimes\"");
        Rejects("""{"approvals": "ask Bash"}""", "approvals", "expected a list of rules");
    }
}
