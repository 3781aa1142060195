using Drover.Core.Jobs;
using Drover.Engines.Agents;

namespace Drover.Engines.Tests.Agents;

/// <summary>
/// Replays the machine output recorded from real CLI runs (tests/corpus/agent-samples, captured against a
/// scripted model server that charged every run the same tokens) through each stream reader.
/// </summary>
public sealed class AgentStreamSampleTests
{
    private static readonly string Samples = Path.Combine(AppContext.BaseDirectory, "corpus", "agent-samples");

    public static TheoryData<string> Files() =>
    [
        "claude.out.jsonl", "claude.write.out.jsonl", "codex.out.jsonl", "codex.write.out.jsonl",
        "opencode.out.jsonl", "opencode.write.out.jsonl", "qwen.out.jsonl", "qwen.write.out.jsonl",
    ];

    internal static AgentStream For(string file) => file.Split('.')[0] switch
    {
        "claude" => new ClaudeStream(),
        "codex" => new CodexStream(),
        "opencode" => new OpenCodeStream(),
        "qwen" => new QwenStream(),
        var other => throw new ArgumentException(other),
    };

    internal static (AgentStream Stream, List<string> Progress) Replay(string file)
    {
        var stream = For(file);
        var progress = new List<string>();
        foreach (var line in File.ReadLines(Path.Combine(Samples, file)))
        {
            if (stream.Read(line) is { } p)
                progress.Add(p);
        }

        return (stream, progress);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Sample_SuccessfulRun_NormalisesToTheSameUsageAndFinalMessage(string file)
    {
        var (stream, progress) = Replay(file);
        var verdict = stream.Finish(0, null);

        verdict.Failure.ShouldBeNull();
        verdict.FinalMessage.ShouldBe("Done: created hello.txt containing 'hello from agent'.");
        verdict.ToolCalls.ShouldBe(1);
        verdict.SessionId.ShouldNotBeNullOrEmpty();
        var usage = verdict.Usage.ShouldNotBeNull();
        // The model server billed 2,500 prompt tokens of which 2,100 were cache reads, and 90 output tokens.
        (usage.Input, usage.CachedInput, usage.CacheWrite, usage.Output).ShouldBe((400L, 2100L, 0L, 90L));
        progress.ShouldContain(p => p.StartsWith("says: Done", StringComparison.Ordinal));
        progress.ShouldNotContain(p => p.StartsWith('{'));
    }

    [Theory]
    [InlineData("claude.out.jsonl", "0.00318", "reported")]
    [InlineData("opencode.out.jsonl", "0.00318", "reported")]
    [InlineData("codex.out.jsonl", null, "unknown")]
    [InlineData("qwen.out.jsonl", null, "unknown")]
    public void Sample_Cost_IsReportedOnlyWhereTheCliReportsIt(string file, string? cost, string source)
    {
        var usage = Replay(file).Stream.Finish(0, null).Usage.ShouldNotBeNull();

        usage.CostUsd.ShouldBe(cost is null ? null : decimal.Parse(cost, System.Globalization.CultureInfo.InvariantCulture));
        usage.ToRecord().CostSource.ShouldBe(source);
    }

    [Fact]
    public void Sample_ClaudeBashCall_ShowsAsReadableProgress()
    {
        var (_, progress) = Replay("claude.out.jsonl");

        progress.ShouldContain(p => p.StartsWith("Bash: printf", StringComparison.Ordinal));
        progress[0].ShouldBe("claude started (claude-sonnet-4-5)");
    }

    [Fact]
    public void Sample_CodexFileChange_ShowsThePath()
    {
        var (_, progress) = Replay("codex.write.out.jsonl");

        progress.ShouldContain("edit: add /srv/demo/repo/hello.txt");
    }

    [Fact]
    public void Sample_SuccessfulOutputButNonZeroExit_IsACrash()
    {
        var verdict = Replay("codex.out.jsonl").Stream.Finish(1, "panic: something broke");

        verdict.Failure.ShouldNotBeNull().Class.ShouldBe(FailureClass.Crash);
        verdict.Failure.Reason.ShouldContain("panic: something broke");
    }
}
