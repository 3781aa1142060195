using Drover.Core.Gateway;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>
/// Gateway state shared through the store (SPEC §9): circuits, quota skips, rate-limit counts and budget holds, seen
/// alike by a second instance on the same database (another process of the fleet).
/// </summary>
public abstract class GatewayStateConformance : StoreConformanceBase
{
    private static readonly ProviderLimits None = new(0, 0, 0, 0);
    private static readonly TimeSpan Probe = TimeSpan.FromSeconds(60);

    private static ProviderAdmitParams Admit(string provider, double at, ProviderLimits? limits = null, long tokens = 10) =>
        new(provider, limits ?? None, tokens, At(at), Probe, TimeSpan.FromMinutes(5));

    private static ProviderReportParams Report(string provider, double at, CallVerdict verdict, ProviderAdmission? a = null, long tokens = 10, DateTimeOffset? quotaUntil = null) =>
        new(provider, a?.CallId, a?.Probe ?? false, verdict, verdict == CallVerdict.Failure ? "HTTP 500" : null, quotaUntil, tokens, At(at));

    [Fact]
    public async Task ThreeFailuresOpenTheCircuitForEveryInstance_OneProbeAfterTheCooldown_SuccessClosesIt()
    {
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);

        (await store.ProviderAdmitAsync(Admit("a", 0), Ct)).Admitted.ShouldBeTrue();
        (await store.ProviderReportAsync(Report("a", 1, CallVerdict.Failure), Ct)).ShouldBeNull();
        (await other.ProviderReportAsync(Report("a", 2, CallVerdict.Failure), Ct)).ShouldBeNull();
        (await store.ProviderReportAsync(Report("a", 3, CallVerdict.Failure), Ct)).ShouldBe("open");

        var refused = await other.ProviderAdmitAsync(Admit("a", 4), Ct);
        refused.Admitted.ShouldBeFalse("the other instance sees the open circuit");
        refused.Why.ShouldNotBeNull().ShouldContain("circuit open");
        refused.RetryAt.ShouldBe(At(33));
        (await store.ProviderAdmitAsync(Admit("b", 4), Ct)).Admitted.ShouldBeTrue("circuits are per provider");

        var probe = await store.ProviderAdmitAsync(Admit("a", 34), Ct);
        (probe.Admitted, probe.Probe).ShouldBe((true, true));
        (await other.ProviderAdmitAsync(Admit("a", 34.5), Ct)).Admitted.ShouldBeFalse("one half-open probe at a time");
        (await store.ProviderReportAsync(Report("a", 35, CallVerdict.Success, probe), Ct)).ShouldBe("closed");
        (await other.ProviderAdmitAsync(Admit("a", 36), Ct)).Admitted.ShouldBeTrue();
        var status = (await other.ProviderStatusAsync(["a"], At(36), TimeSpan.FromHours(1), Ct)).Single();
        (status.Breaker.State, status.Breaker.ConsecutiveFailures, status.Breaker.CooldownMs).ShouldBe((BreakerState.Closed, 0, 0L));
    }

    [Fact]
    public async Task AFailedProbeReopensWithTheCooldownDoubled_UpToFiveMinutes_AndADeadProbeIsTakenOver()
    {
        var store = await NewStoreAsync();
        for (var i = 0; i < 3; i++)
            await store.ProviderReportAsync(Report("a", i, CallVerdict.Failure), Ct);
        var at = 2.0;
        var cooldowns = new List<long>();
        for (var round = 0; round < 5; round++)
        {
            var state = (await store.ProviderStatusAsync(["a"], At(at), TimeSpan.FromHours(1), Ct)).Single().Breaker;
            cooldowns.Add(state.CooldownMs);
            at = (state.OpenUntilMs!.Value - T0.ToUnixTimeMilliseconds()) / 1000.0;
            var probe = await store.ProviderAdmitAsync(Admit("a", at), Ct);
            probe.Probe.ShouldBeTrue();
            (await store.ProviderReportAsync(Report("a", at, CallVerdict.Failure, probe), Ct)).ShouldBe("open");
        }

        cooldowns.ShouldBe([30_000L, 60_000L, 120_000L, 240_000L, 300_000L]);

        // A probe whose process died never reports: after its TTL another caller may probe.
        var last = (await store.ProviderStatusAsync(["a"], At(at), TimeSpan.FromHours(1), Ct)).Single().Breaker;
        at = (last.OpenUntilMs!.Value - T0.ToUnixTimeMilliseconds()) / 1000.0;
        (await store.ProviderAdmitAsync(Admit("a", at), Ct)).Probe.ShouldBeTrue();
        (await store.ProviderAdmitAsync(Admit("a", at + 30), Ct)).Admitted.ShouldBeFalse();
        (await store.ProviderAdmitAsync(Admit("a", at + 61), Ct)).Probe.ShouldBeTrue("the first probe's TTL ran out");
    }

    [Fact]
    public async Task HalfOfTenCallsFailingInAMinuteOpensTheCircuit_EvenWithoutThreeInARow()
    {
        var store = await NewStoreAsync();
        string? transition = null;
        for (var i = 0; i < 10 && transition is null; i++)
            transition = await store.ProviderReportAsync(Report("a", i, i % 2 == 1 ? CallVerdict.Failure : CallVerdict.Success), Ct);
        transition.ShouldBe("open");
        var calls = (await store.ProviderStatusAsync(["a"], At(10), TimeSpan.FromHours(1), Ct)).Single().Breaker.WindowCalls;
        calls.ShouldBe(10);

        // Spread over more than a minute, the same pattern does not open it (provider b).
        transition = null;
        for (var i = 0; i < 10; i++)
            transition ??= await store.ProviderReportAsync(Report("b", i * 15, i % 2 == 1 ? CallVerdict.Failure : CallVerdict.Success), Ct);
        transition.ShouldBeNull();
        (await store.ProviderStatusAsync(["b"], At(150), TimeSpan.FromHours(1), Ct)).Single().Breaker.State.ShouldBe(BreakerState.Closed);
    }

    [Fact]
    public async Task QuotaExhausted_SkipsTheProviderUntilItsReset_WithoutCountingAsAFailure()
    {
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);
        (await store.ProviderReportAsync(Report("a", 0, CallVerdict.Quota, quotaUntil: At(600)), Ct)).ShouldBeNull();

        var refused = await other.ProviderAdmitAsync(Admit("a", 10), Ct);
        refused.Admitted.ShouldBeFalse();
        refused.Why.ShouldNotBeNull().ShouldContain("quota exhausted");
        refused.RetryAt.ShouldBe(At(600));
        (await other.ProviderAdmitAsync(Admit("a", 601), Ct)).Admitted.ShouldBeTrue();
        (await other.ProviderStatusAsync(["a"], At(601), TimeSpan.FromHours(1), Ct)).Single().Breaker.State.ShouldBe(BreakerState.Closed);
    }

    [Fact]
    public async Task RateLimitsAreCountedAcrossInstances_RpmTpmConcurrencyRpd()
    {
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);
        var rpm = new ProviderLimits(2, 0, 0, 0);
        (await store.ProviderAdmitAsync(Admit("a", 0, rpm), Ct)).Admitted.ShouldBeTrue();
        (await other.ProviderAdmitAsync(Admit("a", 1, rpm), Ct)).Admitted.ShouldBeTrue();
        var third = await store.ProviderAdmitAsync(Admit("a", 2, rpm), Ct);
        third.Admitted.ShouldBeFalse("two instances share one rpm count");
        third.Why.ShouldNotBeNull().ShouldContain("rpm 2");
        third.RetryAt.ShouldBe(At(60));
        (await store.ProviderAdmitAsync(Admit("a", 60.5, rpm), Ct)).Admitted.ShouldBeTrue("the first call left the minute");

        var conc = new ProviderLimits(0, 0, 0, 1);
        var held = await store.ProviderAdmitAsync(Admit("c", 0, conc), Ct);
        held.CallId.ShouldNotBeNull();
        (await other.ProviderAdmitAsync(Admit("c", 1, conc), Ct)).Why.ShouldNotBeNull().ShouldContain("max_concurrent 1");
        await store.ProviderReportAsync(Report("c", 2, CallVerdict.Success, held), Ct);
        (await other.ProviderAdmitAsync(Admit("c", 3, conc), Ct)).Admitted.ShouldBeTrue("the slot was released");

        var tpm = new ProviderLimits(0, 0, 1000, 0);
        var big = await store.ProviderAdmitAsync(Admit("t", 0, tpm, tokens: 900), Ct);
        (await other.ProviderAdmitAsync(Admit("t", 1, tpm, tokens: 200), Ct)).Why.ShouldNotBeNull().ShouldContain("tpm 1000");
        await store.ProviderReportAsync(Report("t", 2, CallVerdict.Success, big, tokens: 300), Ct);
        (await other.ProviderAdmitAsync(Admit("t", 3, tpm, tokens: 200), Ct)).Admitted.ShouldBeTrue("the estimate was replaced by the real 300 tokens");

        var rpd = new ProviderLimits(0, 1, 0, 0);
        (await store.ProviderAdmitAsync(Admit("d", 0, rpd), Ct)).Admitted.ShouldBeTrue();
        (await other.ProviderAdmitAsync(Admit("d", 3600, rpd), Ct)).Why.ShouldNotBeNull().ShouldContain("rpd 1");
        (await other.ProviderAdmitAsync(Admit("d", 86_401, rpd), Ct)).Admitted.ShouldBeTrue();

        var used = (await other.ProviderStatusAsync(["d"], At(86_402), TimeSpan.FromHours(1), Ct)).Single();
        (used.RequestsLastDay, used.InFlight).ShouldBe((1L, 1L));
    }

    [Fact]
    public async Task BudgetHoldsRefuseWhatCouldGoOver_SettleBooksRealCost_AlertsOnceAt80And100()
    {
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);
        BudgetScope[] scopes = [new("job:1", 1.00m, null), new("day:2030-01-01", null, null)];

        var first = await store.BudgetReserveAsync(new(scopes, 0.60m, 100, At(0), TimeSpan.FromHours(1)), Ct);
        first.Granted.ShouldBeTrue();
        var second = await other.BudgetReserveAsync(new(scopes, 0.50m, 100, At(1), TimeSpan.FromHours(1)), Ct);
        second.Granted.ShouldBeFalse("0.60 held + 0.50 would pass 1.00, whichever instance asks");
        second.RefusedScope.ShouldBe("job:1");
        second.Why.ShouldNotBeNull().ShouldContain("$0.6");

        (await store.BudgetSettleAsync(new(first.HoldId!.Value, scopes, 0.85m, 100, At(2)), Ct))
            .ShouldHaveSingleItem().ShouldBe(new BudgetAlert("job:1", 80, "usd", 0.85m, 1.00m));
        (await other.BudgetReserveAsync(new(scopes, 0.20m, 100, At(3), TimeSpan.FromHours(1)), Ct)).Granted.ShouldBeFalse();
        (await other.BudgetReserveAsync(new(scopes, 0m, 100, At(3), TimeSpan.FromHours(1)), Ct)).Granted.ShouldBeTrue("a free call never consumes a USD budget");
        var small = await other.BudgetReserveAsync(new(scopes, 0.15m, 100, At(4), TimeSpan.FromHours(1)), Ct);
        small.Granted.ShouldBeTrue();
        (await other.BudgetSettleAsync(new(small.HoldId!.Value, scopes, 0.15m, 100, At(5)), Ct)).Single().Percent.ShouldBe(100);
        (await store.BudgetSettleAsync(new(0, scopes, 0m, 10, At(6)), Ct)).ShouldBeEmpty("each threshold alerts once");

        var lines = await store.BudgetLinesAsync(["job:1", "day:2030-01-01", "job:2"], At(7), Ct);
        lines[0].ShouldBe(new BudgetLine("job:1", 1.00m, 210, 0m, 0), "the free call's hold is held only where a limit needs it (job:1 has no token limit)");
        lines[1].SpentUsd.ShouldBe(1.00m, "unlimited scopes are booked too");
        lines[2].ShouldBe(new BudgetLine("job:2", 0m, 0, 0m, 0));
    }

    [Fact]
    public async Task AHoldWhoseCallNeverSettlesLapses()
    {
        var store = await NewStoreAsync();
        BudgetScope[] scopes = [new("job:9", null, 1000)];
        (await store.BudgetReserveAsync(new(scopes, 0m, 800, At(0), TimeSpan.FromMinutes(10)), Ct)).Granted.ShouldBeTrue();
        (await store.BudgetReserveAsync(new(scopes, 0m, 800, At(60), TimeSpan.FromMinutes(10)), Ct)).Why.ShouldNotBeNull().ShouldContain("1000 tokens");
        (await store.BudgetReserveAsync(new(scopes, 0m, 800, At(601), TimeSpan.FromMinutes(10)), Ct)).Granted.ShouldBeTrue("the first hold lapsed");
    }
}
