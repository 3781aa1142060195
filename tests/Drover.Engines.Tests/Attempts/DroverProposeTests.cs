using Drover.Engines.Attempts;
using Drover.Engines.Processes;

namespace Drover.Engines.Tests.Attempts;

/// <summary>DROVER_PROPOSE lines (SPEC §12): one JSON object each; anything else is reported in the log, never an error.</summary>
public sealed class DroverProposeTests
{
    [Theory]
    [InlineData("""DROVER_PROPOSE {"title":"t","prompt":"p"}""", """{"title":"t","prompt":"p"}""")]
    [InlineData("DROVER_PROPOSE\t  {\"title\":\"t\"}  ", """{"title":"t"}""")]
    public void Parse_ProposeWithJsonObject_IsAProposal(string line, string json)
    {
        var parsed = DroverProtocol.Parse(line);

        parsed.Kind.ShouldBe(ProtocolKind.Propose);
        parsed.Text.ShouldBe(json);
    }

    [Theory]
    [InlineData("DROVER_PROPOSE", "")]
    [InlineData("DROVER_PROPOSE {not json", "")]
    [InlineData("DROVER_PROPOSE [1,2]", "not a JSON object")]
    [InlineData("DROVER_PROPOSE \"a string\"", "not a JSON object")]
    public void Parse_ProposeWithoutJsonObject_IsMalformedWithTheReason(string line, string reason)
    {
        var parsed = DroverProtocol.Parse(line);

        parsed.Kind.ShouldBe(ProtocolKind.MalformedPropose);
        parsed.Text.ShouldNotBeEmpty();
        parsed.Text.ShouldContain(reason);
    }

    [Theory]
    [InlineData("DROVER_PROPOSED {}")]
    [InlineData(" DROVER_PROPOSE {}")]
    public void Parse_NotTheProposeKeyword_IsText(string line) =>
        DroverProtocol.Parse(line).Kind.ShouldBe(ProtocolKind.Text);

    [Fact]
    public void Parse_ProposalOverTheSizeLimit_IsMalformed()
    {
        var line = "DROVER_PROPOSE {\"prompt\":\"" + new string('x', DroverProtocol.MaxProposalChars) + "\"}";

        var parsed = DroverProtocol.Parse(line);

        parsed.Kind.ShouldBe(ProtocolKind.MalformedPropose);
        parsed.Text.ShouldContain("KiB");
    }

    [Fact]
    public async Task OnStdoutLine_Proposals_CollectedInOrder_MalformedNotedInTheLog()
    {
        var dir = Directory.CreateTempSubdirectory("drover-propose-");
        try
        {
            var path = Path.Combine(dir.FullName, "log");
            IReadOnlyList<string> proposals;
            using (var log = new LineLog(path))
            {
                var output = new AttemptOutput(log, (_, _) => Task.CompletedTask);
                await output.OnStdoutLineAsync("""DROVER_PROPOSE {"title":"a"}""", TestContext.Current.CancellationToken);
                await output.OnStdoutLineAsync("DROVER_PROPOSE {oops", TestContext.Current.CancellationToken);
                await output.OnStdoutLineAsync("the summary", TestContext.Current.CancellationToken);
                output.ReadProposals("final words\nDROVER_PROPOSE {\"title\":\"b\"}\r\n");
                proposals = output.Proposals;
                output.Summary.ShouldBe("the summary");
            }

            proposals.ShouldBe(["""{"title":"a"}""", """{"title":"b"}"""]);
            File.ReadAllText(path).ShouldContain("[drover] warning: ignored malformed DROVER_PROPOSE line");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task OnStdoutLine_MoreProposalsThanTheCap_KeepsTheFirstAndNotesTheRest()
    {
        var dir = Directory.CreateTempSubdirectory("drover-propose-");
        try
        {
            var path = Path.Combine(dir.FullName, "log");
            using (var log = new LineLog(path))
            {
                var output = new AttemptOutput(log, (_, _) => Task.CompletedTask);
                for (var i = 0; i < AttemptOutput.MaxProposals + 2; i++)
                    await output.OnStdoutLineAsync($$"""DROVER_PROPOSE {"title":"p{{i}}"}""", TestContext.Current.CancellationToken);
                output.Proposals.Count.ShouldBe(AttemptOutput.MaxProposals);
            }

            File.ReadAllText(path).ShouldContain($"at most {AttemptOutput.MaxProposals} proposals per attempt");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
