using Drover.Core.Jobs;
using Drover.Core.Storage;
using static Drover.Engines.Tests.Attempts.AttemptHarness;

namespace Drover.Engines.Tests.Attempts;

/// <summary>Text the runner cuts (summary, crash reason) when the agent writes characters outside the BMP.</summary>
public sealed class ShellAttemptRunnerTextEdgeTests : IDisposable
{
    private readonly AttemptHarness _h = new();

    [Fact]
    public async Task Summary_OneHugeLineOfEmoji_IsCutWithoutBreakingASurrogatePair()
    {
        var file = Path.Combine(_h.Plain, "line.txt");
        File.WriteAllText(file, string.Concat(Enumerable.Repeat("\U0001F600", 2000)) + "b\n");

        var report = await _h.RunAsync(Shell($"cat '{file}'"));

        report.Outcome.Kind.ShouldBe(AttemptOutcomeKind.Succeeded);
        var summary = report.Result.Summary.ShouldNotBeNull();
        summary.ShouldEndWith("b");
        char.IsLowSurrogate(summary[0]).ShouldBeFalse("the summary starts with half a character");
    }

    [Fact]
    public async Task CrashReason_LongStderrLineOfEmoji_IsCutWithoutBreakingASurrogatePair()
    {
        var file = Path.Combine(_h.Plain, "line.txt");
        File.WriteAllText(file, "x" + string.Concat(Enumerable.Repeat("\U0001F600", 400)) + "\n");

        var report = await _h.RunAsync(Shell($"cat '{file}' >&2; exit 1"));

        report.Outcome.Class.ShouldBe(FailureClass.Crash);
        var reason = report.Outcome.Reason.ShouldNotBeNull().TrimEnd('…');
        char.IsHighSurrogate(reason[^1]).ShouldBeFalse("the reason ends with half a character");
    }

    public void Dispose() => _h.Dispose();
}
