using Drover.Core.Jobs;
using Drover.Engines.Agents;

namespace Drover.Engines.Tests.Agents;

/// <summary>
/// Contract tests on output we recorded ourselves: codex 0.169.0 and claude 2.1.330 run by drover against the scripted
/// fake model of the real-CLI tests (tests/Drover.IntegrationTests/RealClis), one file per situation, kept in
/// tests/corpus/agent-samples/recorded (re-record with DROVER_RECORD_SAMPLES=DIR). Usage, outcome and class must match
/// what the endpoint did.
/// </summary>
public sealed class RecordedRunTests
{
    private static AgentVerdict Replay(string file, int exitCode)
    {
        var stream = AgentStreamSampleTests.For(file);
        foreach (var line in File.ReadLines(Path.Combine(AppContext.BaseDirectory, "corpus", "agent-samples", "recorded", file)))
            stream.Read(line);
        return stream.Finish(exitCode, null);
    }

    [Fact]
    public void Codex_Success_UsageIsTheTurnTotalWithCacheAndReasoningApart()
    {
        // The endpoint sent 1,200 (1,000 cached) + 1,300 (1,100 cached) input, 40 (10 reasoning) + 50 output.
        var verdict = Replay("codex.success.jsonl", 0);

        verdict.Failure.ShouldBeNull();
        verdict.FinalMessage.ShouldBe("Done: created hello.txt.");
        var usage = verdict.Usage.ShouldNotBeNull();
        (usage.Input, usage.CachedInput, usage.Output, usage.Reasoning).ShouldBe((400L, 2100L, 90L, 10L));
        usage.ToRecord().CostSource.ShouldBe("unknown", "codex reports no dollars");
    }

    [Theory]
    [InlineData("codex.http500.jsonl", "high demand")]
    [InlineData("codex.endpoint-down.jsonl", "Connection failed")]
    public void Codex_EndpointFailure_IsModelErrorWithTheCliMessage(string file, string text)
    {
        var failure = Replay(file, 1).Failure.ShouldNotBeNull();

        failure.Class.ShouldBe(FailureClass.ModelError);
        failure.Reason.ShouldContain(text);
        failure.RetryAt.ShouldBeNull();
    }

    [Fact]
    public void Codex_NoUsageSent_IsUnknownNotFree()
    {
        var verdict = Replay("codex.no-usage.jsonl", 0);

        verdict.Failure.ShouldBeNull();
        var record = verdict.Usage?.ToRecord() ?? UsageRecord.Empty;
        record.CostSource.ShouldBe("unknown");
        record.IsEmpty.ShouldBeTrue();
    }

    [Fact]
    public void Claude_Success_CacheReadsAndWritesKeptApartCostReported()
    {
        // The endpoint sent 100 + 150 fresh input, 2,000 + 2,100 cache reads, 300 cache writes, 40 + 50 output.
        var verdict = Replay("claude.success.jsonl", 0);

        verdict.Failure.ShouldBeNull();
        var usage = verdict.Usage.ShouldNotBeNull();
        (usage.Input, usage.CachedInput, usage.CacheWrite, usage.Output).ShouldBe((250L, 4100L, 300L, 90L));
        usage.CostUsd.ShouldNotBeNull().ShouldBeGreaterThan(0m);
        usage.Model.ShouldBe("claude-sonnet-4-5");
    }

    [Fact]
    public void Claude_DeniedToolWithExitZero_Fails()
    {
        var failure = Replay("claude.denied.jsonl", 0).Failure.ShouldNotBeNull();

        failure.Reason.ShouldBe("tool calls were denied: WebFetch");
    }

    [Fact]
    public void Claude_UsageLimit429_IsRateLimitedWithTheResetTime()
    {
        var before = DateTimeOffset.UtcNow;
        var failure = Replay("claude.usage-limit.jsonl", 1).Failure.ShouldNotBeNull();

        failure.Class.ShouldBe(FailureClass.RateLimited);
        failure.RetryAt.ShouldNotBeNull().ShouldBeInRange(before.AddHours(2).AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(2).AddMinutes(1));
    }
}
