using Drover.Core.Jobs;
using Drover.Engines.Agents;

namespace Drover.Engines.Tests.Agents;

public sealed class FailureTextTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("HTTP 429 Too Many Requests", FailureClass.RateLimited)]
    [InlineData("Claude AI usage limit reached|1795400000", FailureClass.RateLimited)]
    [InlineData("rate_limit_error: slow down", FailureClass.RateLimited)]
    [InlineData("insufficient_quota: check your plan and billing details", FailureClass.QuotaExhausted)]
    [InlineData("Your credit balance is too low to access the API", FailureClass.QuotaExhausted)]
    [InlineData("prompt is too long: 210000 tokens > 200000 maximum", FailureClass.ContextLimit)]
    [InlineData("context_length_exceeded", FailureClass.ContextLimit)]
    [InlineData("401 Unauthorized", FailureClass.Auth)]
    [InlineData("Invalid API key · Please run /login", FailureClass.Auth)]
    public void Classify_KnownCauses(string text, string expected) =>
        FailureText.Classify(text, Now).ShouldNotBeNull().Class.ShouldBe(expected);

    [Theory]
    [InlineData("segmentation fault")]
    [InlineData("We're currently experiencing high demand")]
    [InlineData("")]
    public void Classify_OtherText_IsNotGuessed(string text) => FailureText.Classify(text, Now).ShouldBeNull();

    [Theory]
    [InlineData("rate limited; try again in 5 minutes", 300)]
    [InlineData("429: retry after 30s", 30)]
    [InlineData("please retry after 1.5 hours", 5400)]
    [InlineData("retry after 250ms", 0.25)]
    public void ResetTime_Relative(string text, double seconds) =>
        FailureText.ResetTime(text, Now).ShouldBe(Now + TimeSpan.FromSeconds(seconds));

    [Fact]
    public void ResetTime_AbsoluteAndEpoch()
    {
        FailureText.ResetTime("usage limit; resets at 2026-11-23T15:30:00Z", Now).ShouldBe(new DateTimeOffset(2026, 11, 23, 15, 30, 0, TimeSpan.Zero));
        FailureText.ResetTime("Claude AI usage limit reached|1795400000 reset 1795400000", Now).ShouldBe(DateTimeOffset.FromUnixTimeSeconds(1795400000));
    }

    [Theory]
    [InlineData("rate limited")]
    [InlineData("retry after 30 days")]
    public void ResetTime_NoneOrImplausible_IsNull(string text) => FailureText.ResetTime(text, Now).ShouldBeNull();

    [Fact]
    public void Trim_JoinsLinesAndCaps() =>
        FailureText.Trim("a\n  b\r\nc" + new string('x', 600), 10).ShouldBe("a b cxxxxx…");
}
