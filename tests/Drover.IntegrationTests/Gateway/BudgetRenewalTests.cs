using Drover.Server.Gateway;

namespace Drover.IntegrationTests.Gateway;

/// <summary>Which spent budgets renew (the job waits for them) and which do not (the job fails).</summary>
public sealed class BudgetRenewalTests
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 7, 12, 30, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("day:2026-12-07")]
    [InlineData("label:team=core:2026-12-07")]
    public void RenewsAt_DailyScope_NextUtcMidnight(string scope) =>
        GatewayAccounting.RenewsAt(scope, Noon).ShouldBe(new DateTimeOffset(2026, 12, 8, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void RenewsAt_JobScope_Never() => GatewayAccounting.RenewsAt("job:12", Noon).ShouldBeNull();
}
