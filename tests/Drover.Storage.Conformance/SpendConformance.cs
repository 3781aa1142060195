using Drover.Core;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>Gateway spend rows: appended from any process, summed per group, unpriced requests flagged.</summary>
public abstract class SpendConformance : StoreConformanceBase
{
    private static SpendRecord Call(DateTimeOffset at, string? provider, string model, long input, decimal? cost, string outcome = "ok", long? job = null) =>
        outcome == "ok"
            ? new(at, job, job is null ? null : 1, provider, model, model, outcome, 200, input, 10, 5, 1, cost, 12.5, 3.5)
            : new(at, job, null, provider, model, null, outcome, 502, 0, 0, 0, 0, null, 40, null);

    [Fact]
    public async Task SpendTotals_ByProviderModelJob_SumTokensAndCostAndFlagUnpriced()
    {
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);
        await store.SpendAppendAsync(Call(At(10), "a", "m1", 100, 0.25m, job: 7), Ct);
        await other.SpendAppendAsync(Call(At(20), "a", "m2", 50, 0.5m, job: 7), Ct);
        await store.SpendAppendAsync(Call(At(30), "b", "m1", 40, null), Ct);
        await store.SpendAppendAsync(Call(At(40), null, "m1", 0, null, outcome: "all_failed"), Ct);
        await store.SpendAppendAsync(Call(At(-100), "a", "m1", 999, 9m), Ct);

        var byProvider = await store.SpendTotalsAsync(At(0), "provider", Ct);

        byProvider.Select(t => t.Key).ShouldBe(["a", "(none)", "b"]);
        var a = byProvider[0];
        (a.Requests, a.InputTokens, a.CachedInputTokens, a.OutputTokens, a.ReasoningTokens, a.CostUsd).ShouldBe((2L, 150L, 20L, 10L, 2L, 0.75m));
        byProvider[2].UnpricedRequests.ShouldBe(1, "tokens with no price: flagged, cost not counted as $0 silently");
        byProvider[1].Failed.ShouldBe(1);
        byProvider[1].UnpricedRequests.ShouldBe(0, "no tokens: nothing to price");

        (await store.SpendTotalsAsync(At(0), "model", Ct)).Single(t => t.Key == "m1").Requests.ShouldBe(3);
        (await store.SpendTotalsAsync(At(0), "job", Ct)).Single(t => t.Key == "7").CostUsd.ShouldBe(0.75m);
        await Should.ThrowAsync<JobSpecException>(() => store.SpendTotalsAsync(At(0), "colour; DROP TABLE spend", Ct));
    }
}
