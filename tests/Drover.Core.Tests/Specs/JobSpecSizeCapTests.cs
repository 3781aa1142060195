using System.Text.Json;

namespace Drover.Core.Tests.Specs;

/// <summary>Size caps at submit: each big field names itself and its cap, and the whole spec has one too.</summary>
public sealed class JobSpecSizeCapTests : SpecTestBase
{
    private static string Q(string text) => JsonSerializer.Serialize(text);

    [Fact]
    public void Parse_CommandOver64KiB_RejectedNamingCommand() =>
        Rejects($$"""{"engine": "shell", "command": {{Q("echo " + new string('x', 64 * 1024))}}}""", "command", "64 KiB limit");

    [Fact]
    public void Parse_CommandArgvOver64KiB_RejectedNamingCommand() =>
        Rejects($$"""{"engine": "shell", "command": ["echo", {{Q(new string('x', 40 * 1024))}}, {{Q(new string('y', 40 * 1024))}}]}""", "command", "64 KiB limit");

    [Fact]
    public void Parse_EnvValueOver32KiB_RejectedNamingTheVariable() =>
        Rejects("{\"env\": {\"BIG\": " + Q(new string('x', 32 * 1024 + 1)) + "}}", "env", "BIG: 32769 bytes exceeds the 32 KiB limit");

    [Fact]
    public void Parse_MoreThan200EnvVariables_Rejected()
    {
        var env = string.Join(", ", Enumerable.Range(0, 201).Select(i => $"\"V{i}\": \"x\""));
        Rejects("{\"env\": {" + env + "}}", "env", "201 variables exceed the limit of 200");
    }

    [Fact]
    public void Parse_WholeSpecOver2MiB_RejectedNamingTheCap()
    {
        // Every value under its own cap (31 KiB each), 70 of them: 2.1 MiB in all.
        var env = string.Join(", ", Enumerable.Range(0, 70).Select(i => $"\"V{i}\": {Q(new string('x', 31 * 1024))}"));

        Rejects("{\"env\": {" + env + "}}", null, "over the 2 MiB limit");
    }

    [Fact]
    public void Parse_EveryFieldAtItsCap_Accepted()
    {
        var env = string.Join(", ", Enumerable.Range(0, 200).Select(i => $"\"V{i}\": \"value\""));
        var spec = With("{\"prompt\": " + Q(new string('p', 1024 * 1024)) + ", \"env\": {" + env + "}}");

        spec.Env.Count.ShouldBe(200);
        spec.Prompt.Length.ShouldBe(1024 * 1024);
    }
}
