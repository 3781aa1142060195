using Drover.Core.Scheduling;

namespace Drover.Core.Tests.Scheduling;

public sealed class CapabilityMatcherTests
{
    private static readonly string[] Worker = ["os:linux", "has:docker", "engine:shell", "node=20.11.1", "engine:codex=0.169.0", "python=3.12.1-rc1"];

    [Theory]
    [InlineData("os:linux", true)]
    [InlineData("os:darwin", false)]
    [InlineData("node>=20", true)]
    [InlineData("node>=20.11.2", false)]
    [InlineData("node>20.11", true)]
    [InlineData("node<21", true)]
    [InlineData("node<=20.11.1", true)]
    [InlineData("node<20.11.1", false)]
    [InlineData("node=20.11.1", true)]
    [InlineData("node==20.11", false)]
    [InlineData("node==20.11.1.0", true)]
    [InlineData("node!=18", true)]
    [InlineData("engine:codex>=0.100", true)]
    [InlineData("engine:codex<0.100", false)]
    [InlineData("python>=3.12", true)]
    [InlineData("ruby>=1", false)]
    [InlineData("node>=x", false)]
    public void Satisfies_SingleRequirement(string requirement, bool expected) =>
        CapabilityMatcher.Satisfies(Worker, [requirement]).ShouldBe(expected);

    [Fact]
    public void Satisfies_AllMustHold()
    {
        CapabilityMatcher.Satisfies(Worker, ["os:linux", "node>=20"]).ShouldBeTrue();
        CapabilityMatcher.Satisfies(Worker, ["os:linux", "node>=22"]).ShouldBeFalse();
        CapabilityMatcher.Satisfies(Worker, []).ShouldBeTrue();
        CapabilityMatcher.Satisfies([], ["os:linux"]).ShouldBeFalse();
    }

    [Fact]
    public void Satisfies_PlainTagDoesNotMatchVersionedCapability() =>
        CapabilityMatcher.Satisfies(Worker, ["node"]).ShouldBeFalse();

    [Theory]
    [InlineData("node>=20", "node", ">=", "20")]
    [InlineData("a!=1", "a", "!=", "1")]
    [InlineData("x==2.0", "x", "==", "2.0")]
    [InlineData("has:docker", "has:docker", null, null)]
    public void Parse_SplitsNameOperatorVersion(string requirement, string name, string? op, string? version) =>
        CapabilityMatcher.Parse(requirement).ShouldBe((name, op, version));

    [Theory]
    [InlineData("20", true)]
    [InlineData("v1.2.3", true)]
    [InlineData("1.2.3-beta", true)]
    [InlineData("1.x", false)]
    [InlineData("", false)]
    public void IsVersion_DottedNumbers(string text, bool expected) =>
        CapabilityMatcher.IsVersion(text).ShouldBe(expected);
}
