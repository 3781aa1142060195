using Drover.Engines.Attempts;

namespace Drover.Engines.Tests.Attempts;

public sealed class DroverProtocolTests
{
    [Theory]
    [InlineData("plain output")]
    [InlineData("")]
    [InlineData(" DROVER_QUESTION indented lines are text")]
    [InlineData("DROVER_QUESTIONS are not a keyword")]
    [InlineData("DROVER_PROGRESSING")]
    [InlineData("DROVER_USAGE{\"input_tokens\":1}")]
    [InlineData("DROVER_SOMETHING else")]
    [InlineData("drover_progress lower case")]
    public void Parse_NotAKeywordAtTheStartOfTheLine_IsText(string line)
    {
        var parsed = DroverProtocol.Parse(line);

        parsed.Kind.ShouldBe(ProtocolKind.Text);
        parsed.Text.ShouldBe(line);
        parsed.Usage.ShouldBeNull();
    }

    [Theory]
    [InlineData("DROVER_QUESTION Which colour?", "Which colour?")]
    [InlineData("DROVER_QUESTION\tTabbed?  ", "Tabbed?")]
    [InlineData("DROVER_QUESTION", "")]
    [InlineData("DROVER_QUESTION    ", "")]
    public void Parse_Question_TrimsTheText(string line, string text)
    {
        var parsed = DroverProtocol.Parse(line);

        parsed.Kind.ShouldBe(ProtocolKind.Question);
        parsed.Text.ShouldBe(text);
    }

    [Theory]
    [InlineData("DROVER_PROGRESS step 2 of 5", "step 2 of 5")]
    [InlineData("DROVER_PROGRESS\t  indented  ", "indented")]
    public void Parse_Progress_TrimsTheText(string line, string text)
    {
        var parsed = DroverProtocol.Parse(line);

        parsed.Kind.ShouldBe(ProtocolKind.Progress);
        parsed.Text.ShouldBe(text);
    }

    [Fact]
    public void Parse_UsageWithCost_IsReported()
    {
        var parsed = DroverProtocol.Parse(
            """DROVER_USAGE {"input_tokens":1200,"cached_input_tokens":200,"output_tokens":340,"cost_usd":0.0125,"model":"m-1"}""");

        parsed.Kind.ShouldBe(ProtocolKind.Usage);
        parsed.Usage.ShouldBe(new Core.Jobs.UsageRecord(1200, 200, 340, 0.0125m, "reported", "m-1"));
    }

    [Fact]
    public void Parse_UsageWithoutCost_IsUnknownCostAndZeroDollars()
    {
        var parsed = DroverProtocol.Parse("""DROVER_USAGE {"output_tokens":5,"input_tokens":null,"cost_usd":null}""");

        parsed.Kind.ShouldBe(ProtocolKind.Usage);
        parsed.Usage.ShouldBe(new Core.Jobs.UsageRecord(0, 0, 5, 0m, "unknown", null));
    }

    [Fact]
    public void Parse_UsageWithUnknownKeys_IgnoresThem()
    {
        var parsed = DroverProtocol.Parse("""DROVER_USAGE {"input_tokens":3,"extra":{"nested":true}}""");

        parsed.Kind.ShouldBe(ProtocolKind.Usage);
        parsed.Usage!.InputTokens.ShouldBe(3);
    }

    [Theory]
    [InlineData("DROVER_USAGE")]
    [InlineData("DROVER_USAGE not json")]
    [InlineData("DROVER_USAGE [1,2]")]
    [InlineData("DROVER_USAGE 42")]
    [InlineData("""DROVER_USAGE {"input_tokens":-1}""")]
    [InlineData("""DROVER_USAGE {"input_tokens":1.5}""")]
    [InlineData("""DROVER_USAGE {"input_tokens":"10"}""")]
    [InlineData("""DROVER_USAGE {"output_tokens":99999999999999999999}""")]
    [InlineData("""DROVER_USAGE {"cost_usd":-0.01}""")]
    [InlineData("""DROVER_USAGE {"cost_usd":"0.01"}""")]
    [InlineData("""DROVER_USAGE {"cost_usd":1e40}""")]
    [InlineData("""DROVER_USAGE {"model":7}""")]
    [InlineData("""DROVER_USAGE {"input_tokens":1""")]
    public void Parse_BadUsage_IsMalformedWithAReason(string line)
    {
        var parsed = DroverProtocol.Parse(line);

        parsed.Kind.ShouldBe(ProtocolKind.MalformedUsage);
        parsed.Text.ShouldNotBeNullOrWhiteSpace();
        parsed.Usage.ShouldBeNull();
    }

    [Fact]
    public void Parse_BadUsage_NamesTheField()
    {
        DroverProtocol.Parse("""DROVER_USAGE {"output_tokens":-3}""").Text.ShouldContain("output_tokens");
        DroverProtocol.Parse("""DROVER_USAGE {"cost_usd":"x"}""").Text.ShouldContain("cost_usd");
        DroverProtocol.Parse("""DROVER_USAGE {"model":[]}""").Text.ShouldContain("model");
    }
}
