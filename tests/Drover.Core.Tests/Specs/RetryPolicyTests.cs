using Drover.Core.Jobs;

namespace Drover.Core.Tests.Specs;

public sealed class RetryPolicyTests
{
    private static readonly RetryPolicy Policy = new(5, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(10), [FailureClass.Crash]);

    [Theory]
    [InlineData(1, 30)]
    [InlineData(2, 60)]
    [InlineData(3, 120)]
    [InlineData(5, 480)]
    [InlineData(6, 600)]  // 960 capped at max_backoff
    [InlineData(100, 600)]
    public void DelayAfter_MidJitter_DoublesUpToMaxBackoff(int failures, double seconds) =>
        Policy.DelayAfter(failures, 0.5).TotalSeconds.ShouldBe(seconds, 0.001);

    [Fact]
    public void DelayAfter_Jitter_IsPlusMinusTwentyPercent()
    {
        Policy.DelayAfter(1, 0.0).TotalSeconds.ShouldBe(24, 0.001);
        Policy.DelayAfter(1, 0.999999).TotalSeconds.ShouldBe(36, 0.001);
        Policy.DelayAfter(6, 0.0).TotalSeconds.ShouldBe(480, 0.001); // jitter applies after the cap
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void DelayAfter_ZeroOrNegativeFailures_IsTheBaseBackoff(int failures) =>
        Policy.DelayAfter(failures, 0.5).ShouldBe(TimeSpan.FromSeconds(30));

    [Fact]
    public void Retries_OnlyListedClasses()
    {
        Policy.Retries(FailureClass.Crash).ShouldBeTrue();
        Policy.Retries(FailureClass.VerifyFailed).ShouldBeFalse();
        RetryPolicy.Default.Retries(FailureClass.RateLimited).ShouldBeTrue();
        RetryPolicy.Default.Retries(FailureClass.Auth).ShouldBeFalse();
    }
}
