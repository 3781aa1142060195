using Drover.Core.Jobs;
using Drover.Core.Storage;
using static Drover.Engines.Tests.Attempts.AttemptHarness;

namespace Drover.Engines.Tests.Attempts;

/// <summary>The generic stdout protocol end to end: usage, questions, progress and the summary.</summary>
public sealed class ShellAttemptRunnerProtocolTests : IDisposable
{
    private readonly AttemptHarness _h = new();

    [Fact]
    public async Task Usage_LinesAreSummed_MalformedOnesAreLoggedAndIgnored()
    {
        var report = await _h.RunAsync(Shell("""
            echo 'DROVER_USAGE {"input_tokens":100,"output_tokens":10,"cost_usd":0.5,"model":"a"}'
            echo 'DROVER_USAGE {"input_tokens":20,"cached_input_tokens":5,"output_tokens":2,"model":"b"}'
            echo 'DROVER_USAGE {"input_tokens":-1,"cost_usd":100}'
            echo 'DROVER_USAGE {"input_tokens":1,"cost_usd":0.25}'
            echo final words
            """));

        report.Outcome.Kind.ShouldBe(AttemptOutcomeKind.Succeeded);
        report.Result.Usage.ShouldBe(new UsageRecord(121, 5, 12, 0.75m, "mixed", "b"));
        report.Result.Summary.ShouldBe("final words", "protocol lines are not the agent's message");
        _h.LogLines().ShouldContain(l => l.StartsWith("[drover] warning: ignored malformed DROVER_USAGE line", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("\"cost_usd\":0.1", "\"cost_usd\":0.2", 0.3, "reported")]
    [InlineData("\"model\":\"x\"", "\"model\":\"x\"", 0, "unknown")]
    public async Task Usage_CostSource_SaysWhetherEveryLineCarriedACost(string first, string second, double usd, string source)
    {
        var report = await _h.RunAsync(Shell(
            $"echo 'DROVER_USAGE {{\"input_tokens\":1,{first}}}'; echo 'DROVER_USAGE {{\"input_tokens\":1,{second}}}'"));

        report.Result.Usage.ShouldNotBeNull();
        report.Result.Usage.CostUsd.ShouldBe((decimal)usd);
        report.Result.Usage.CostSource.ShouldBe(source);
        report.Result.Usage.InputTokens.ShouldBe(2);
    }

    [Fact]
    public async Task Usage_IsRecordedAlsoWhenTheEngineCrashes()
    {
        var report = await _h.RunAsync(Shell("echo 'DROVER_USAGE {\"output_tokens\":7,\"cost_usd\":1}'; exit 2"));

        report.Outcome.Class.ShouldBe(FailureClass.Crash);
        report.Result.Usage.ShouldBe(new UsageRecord(0, 0, 7, 1m, "reported", null));
    }

    [Fact]
    public async Task Question_BlocksForAnAnswer_EvenWhenTheEngineThenFails()
    {
        var report = await _h.RunAsync(Shell("""
            echo 'DROVER_QUESTION Which colour?'
            echo 'DROVER_QUESTION'
            echo 'DROVER_QUESTION And what size?'
            exit 1
            """));

        report.Outcome.ShouldBe(AttemptOutcome.AwaitAnswer("Which colour?\nAnd what size?"));
        report.Outcome.Kind.ShouldBe(AttemptOutcomeKind.Blocked);
        report.Aborted.ShouldBeFalse();
        report.Result.ExitCode.ShouldBe(1);
        _h.LogLines().ShouldContain("[drover] warning: ignored an empty DROVER_QUESTION line");
        _h.ResultJson().GetProperty("state").GetString().ShouldBe("blocked");
    }

    [Fact]
    public async Task Question_ThenHangingUntilTheStallTimer_StillBlocksForAnAnswer()
    {
        var report = await _h.RunAsync(Shell("echo 'DROVER_QUESTION Proceed?'; sleep 30", "\"stall_timeout\": \"1s\""));

        report.Outcome.ShouldBe(AttemptOutcome.AwaitAnswer("Proceed?"));
    }

    [Fact]
    public async Task Progress_ReachesTheSinkInOrder()
    {
        var report = await _h.RunAsync(Shell("""
            echo 'DROVER_PROGRESS step 1'
            echo plain
            printf 'DROVER_PROGRESS\tstep 2\n'
            echo 'DROVER_PROGRESSING is plain text'
            """));

        report.Outcome.Kind.ShouldBe(AttemptOutcomeKind.Succeeded);
        _h.Sink.Progress.ShouldBe(["step 1", "step 2"]);
        report.Result.Summary.ShouldBe("plain\nDROVER_PROGRESSING is plain text");
    }

    [Fact]
    public async Task Progress_SinkFailure_DoesNotFailTheAttempt()
    {
        _h.Sink.OnProgress = (_, _) => throw new InvalidOperationException("store unavailable");

        var report = await _h.RunAsync(Shell("echo 'DROVER_PROGRESS one'; echo 'DROVER_PROGRESS two'; echo end"));

        report.Outcome.Kind.ShouldBe(AttemptOutcomeKind.Succeeded);
        _h.Sink.Progress.ShouldBe(["one", "two"]);
        report.Result.Summary.ShouldBe("end");
    }

    [Fact]
    public async Task Summary_IsTheLastParagraphOfOrdinaryOutput()
    {
        var report = await _h.RunAsync(Shell("""
            echo 'first paragraph'
            echo
            echo 'last a'
            echo 'last b' >&2
            echo 'last c'
            echo '   '
            echo 'DROVER_PROGRESS not part of it'
            """));

        report.Result.Summary.ShouldBe("last a\nlast c", "stderr is logged but is not the agent's message");
    }

    [Fact]
    public async Task Summary_IsBoundedTo4KiB_KeepingTheEnd()
    {
        var report = await _h.RunAsync(Shell(
            "i=0; while [ $i -lt 200 ]; do printf 'line %03d %s\\n' $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done"));

        var summary = report.Result.Summary.ShouldNotBeNull();
        System.Text.Encoding.UTF8.GetByteCount(summary).ShouldBeLessThanOrEqualTo(4096);
        summary.ShouldStartWith("line ");
        summary.ShouldEndWith("line 199 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    }

    public void Dispose() => _h.Dispose();
}
