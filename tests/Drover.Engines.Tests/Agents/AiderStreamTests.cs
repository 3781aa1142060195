using Drover.Core.Jobs;
using Drover.Engines.Agents;

namespace Drover.Engines.Tests.Agents;

/// <summary>
/// Contract tests for aider's text output with <c>--no-pretty --no-stream</c>. The lines are synthesized for these
/// tests after aider's source (<c>calculate_and_show_tokens_and_cost</c>, <c>format_tokens</c>, exceptions.py); no
/// real aider run was recorded.
/// </summary>
public sealed class AiderStreamTests
{
    private static readonly string[] Banner =
    [
        "Aider v0.86.1",
        "Main model: anthropic/claude-sonnet-4-20250514 with diff edit format, infinite output",
        "Weak model: anthropic/claude-3-5-haiku-20241022",
        "Git repo: .git with 3 files",
        "Repo-map: using 4096 tokens, auto refresh",
        "",
    ];

    private static (List<string?> Progress, AgentVerdict Verdict) Run(int exitCode, params string[] lines)
    {
        var stream = new AiderStream();
        var progress = lines.Select(stream.Read).ToList();
        return (progress, stream.Finish(exitCode, null));
    }

    [Fact]
    public void Success_SumsTokensPerCall_TakesTheLastSessionCost_AndKeepsCodeOutOfTheLog()
    {
        var (progress, verdict) = Run(0, [
            .. Banner,
            "I'll create hello.txt with the greeting.",
            "",
            "hello.txt",
            "```",
            "<<<<<<< SEARCH",
            "=======",
            "hello from agent",
            ">>>>>>> REPLACE",
            "```",
            "",
            "Tokens: 2.3k sent, 1.1k cache write, 500 received. Cost: $0.01 message, $0.01 session.",
            "Applied edit to hello.txt",
            "",
            "Done: created hello.txt containing 'hello from agent'.",
            "",
            "Tokens: 12k sent, 9.5k cache hit, 1,234 received. Cost: $0.0042 message, $0.0142 session.",
        ]);

        verdict.Failure.ShouldBeNull();
        verdict.FinalMessage.ShouldBe("Done: created hello.txt containing 'hello from agent'.");
        verdict.ToolCalls.ShouldBe(1);
        // sent counts every input token: fresh = 14300 sent − 1100 written − 9500 read from the cache.
        verdict.Usage.ShouldBe(new AgentUsage(3700, 9500, 1100, 1734, 0, 0.0142m, "anthropic/claude-sonnet-4-20250514"));
        verdict.Usage!.ToRecord().CostSource.ShouldBe("reported");
        progress.ShouldContain("edit: hello.txt");
        progress.ShouldNotContain("hello from agent");
        progress.ShouldNotContain("<<<<<<< SEARCH");
        progress.ShouldContain("Tokens: 2.3k sent, 1.1k cache write, 500 received. Cost: $0.01 message, $0.01 session.");
    }

    [Fact]
    public void NoPriceForTheModel_TokensWithoutCost_CostIsUnknown()
    {
        var (_, verdict) = Run(0, "Model: openai/local-model with whole edit format", "", "All done.", "Tokens: 999 sent, 12 received.");

        verdict.Usage.ShouldBe(new AgentUsage(999, 0, 0, 12, 0, null, "openai/local-model"));
        verdict.Usage!.ToRecord().CostSource.ShouldBe("unknown");
    }

    [Theory]
    [InlineData("999", "", 999)]
    [InlineData("2.3", "k", 2300)]
    [InlineData("23", "k", 23000)]
    [InlineData("1.5", "M", 1_500_000)]
    [InlineData("1,234", "", 1234)]
    public void Count_ReadsAidersAbbreviations(string number, string unit, long expected) =>
        AiderStream.Count(number, unit).ShouldBe(expected);

    [Fact]
    public void AuthErrorAndExitZero_FailsAsAuth()
    {
        var (progress, verdict) = Run(0, [
            .. Banner,
            "litellm.AuthenticationError: AnthropicException - {\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key\"}}",
            "The API provider is not able to authenticate you. Check your API key.",
        ]);

        verdict.Failure.ShouldNotBeNull().Class.ShouldBe(FailureClass.Auth);
        progress.ShouldContain(p => p != null && p.StartsWith("error: litellm.AuthenticationError", StringComparison.Ordinal));
    }

    [Fact]
    public void RateLimitThenRetrySucceeds_IsNotAFailure()
    {
        var (_, verdict) = Run(0, [
            .. Banner,
            "litellm.RateLimitError: AnthropicException - rate_limit_error: 429",
            "The API provider has rate limited you. Try again later or check your quotas.",
            "Retrying in 0.2 seconds...",
            "Sure, done.",
            "Tokens: 100 sent, 20 received.",
        ]);

        verdict.Failure.ShouldBeNull();
        verdict.FinalMessage.ShouldBe("Sure, done.");
    }

    [Fact]
    public void RateLimitAndGivingUp_IsRateLimited()
    {
        var (_, verdict) = Run(0, [
            .. Banner,
            "litellm.RateLimitError: rate limit exceeded, retry after 60s",
            "The API provider has rate limited you. Try again later or check your quotas.",
        ]);

        verdict.Failure.ShouldNotBeNull().Class.ShouldBe(FailureClass.RateLimited);
    }

    [Fact]
    public void ContextExhausted_IsContextLimit()
    {
        var (_, verdict) = Run(0, [
            .. Banner,
            "Your estimated chat context of 210,000 tokens exceeds the 200,000 token limit for anthropic/claude-sonnet-4!",
            "litellm.ContextWindowExceededError: prompt is too long: 210000 tokens > 200000 maximum",
        ]);

        verdict.Failure.ShouldNotBeNull().Class.ShouldBe(FailureClass.ContextLimit);
    }

    [Fact]
    public void NonZeroExit_UsesTheLastErrorLine()
    {
        var (_, verdict) = Run(1, [.. Banner, "litellm.APIConnectionError: Connection refused"]);

        var failure = verdict.Failure.ShouldNotBeNull();
        failure.Class.ShouldBe(FailureClass.Crash);
        failure.Reason.ShouldContain("Connection refused");
    }

    [Fact]
    public void OnlyTheBanner_IsNotASuccess()
    {
        var (_, verdict) = Run(0, Banner);

        verdict.Failure.ShouldNotBeNull().Class.ShouldBe(FailureClass.ModelError);
        verdict.Usage.ShouldBeNull();
    }
}
