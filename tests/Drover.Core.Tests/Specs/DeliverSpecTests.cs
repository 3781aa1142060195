using Drover.Core.Specs;

namespace Drover.Core.Tests.Specs;

/// <summary>The delivery keys of a spec (SPEC §12): deliver, deliver_on_failure, automerge.</summary>
public sealed class DeliverSpecTests : SpecTestBase
{
    [Theory]
    [InlineData("none", DeliverMode.None)]
    [InlineData("push", DeliverMode.Push)]
    [InlineData("pr", DeliverMode.Pr)]
    [InlineData("pr_draft", DeliverMode.PrDraft)]
    public void Parse_DeliverMode_IsKeptAndSurvivesTheCanonicalForm(string given, DeliverMode expected)
    {
        var spec = With($$"""{"deliver": "{{given}}"}""");

        spec.Deliver.ShouldBe(expected);
        JobSpecJson.Deserialize(JobSpecJson.Serialize(spec)).Deliver.ShouldBe(expected);
    }

    [Fact]
    public void Serialize_NoDelivery_LeavesTheCanonicalFormAsBefore()
    {
        var json = JobSpecJson.Serialize(With("{}"));

        json.ShouldNotContain("deliver");
        json.ShouldNotContain("automerge");
    }

    [Fact]
    public void Parse_DraftOnFailureAndAutomerge_AreKept()
    {
        var spec = With("""{"deliver": "pr", "deliver_on_failure": "draft", "automerge": true}""");

        (spec.DeliverDraftOnFailure, spec.Automerge).ShouldBe((true, true));
        JobSpecJson.Deserialize(JobSpecJson.Serialize(spec)).ShouldBe(spec);
    }

    [Theory]
    [InlineData("""{"deliver": "merge"}""", "deliver", "\"merge\"")]
    [InlineData("""{"deliver_on_failure": "pr"}""", "deliver_on_failure", "\"pr\"")]
    [InlineData("""{"automerge": true}""", "automerge", "needs deliver: pr")]
    [InlineData("""{"deliver": "pr_draft", "automerge": true}""", "automerge", "needs deliver: pr")]
    public void Parse_BadDeliveryKeys_AreRejectedNamingTheKey(string extra, string field, string contains) =>
        Rejects(extra, field, contains);

    [Fact]
    public void Parse_PullRequestOnAUrlRepoWithoutItsForge_IsRejectedNamingTheHost()
    {
        Ctx = Ctx with { ForgeHosts = new HashSet<string>(["github.com"], StringComparer.OrdinalIgnoreCase) };

        var ok = With("""{"repo": "https://github.com/o/r.git", "deliver": "pr"}""");
        Rejects("""{"repo": "https://git.example.com/o/r.git", "deliver": "pr"}""", "deliver", "[[forges]] entry for that host");
        var push = With("""{"repo": "https://git.example.com/o/r.git", "deliver": "push"}""");

        ok.Deliver.ShouldBe(DeliverMode.Pr);
        push.Deliver.ShouldBe(DeliverMode.Push, "a push needs git, not the forge's API");
    }
}
