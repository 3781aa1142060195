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

    [Fact]
    public async Task SpendTotals_ByEngineRepoLabel_FollowTheJob_AndSpendForJobSumsOneJob()
    {
        var store = await NewStoreAsync();
        var core = await SubmitAsync(store, Spec("core", engine: "codex", labels: new Dictionary<string, string> { ["team"] = "core", ["env"] = "ci" }));
        var web = await SubmitAsync(store, Spec("web", engine: "claude", labels: new Dictionary<string, string> { ["team"] = "web" }));
        await store.SpendAppendAsync(Call(At(10), "a", "m1", 100, 0.25m, job: core.Id), Ct);
        await store.SpendAppendAsync(Call(At(11), "a", "m1", 100, 0.50m, job: web.Id), Ct);
        await store.SpendAppendAsync(Call(At(12), "a", "m1", 100, 1.00m), Ct);

        (await store.SpendTotalsAsync(At(0), "engine", Ct)).Select(t => (t.Key, t.CostUsd)).ShouldBe([("(none)", 1.00m), ("claude", 0.50m), ("codex", 0.25m)], "largest cost first");
        (await store.SpendTotalsAsync(At(0), "label", Ct)).Select(t => (t.Key, t.CostUsd))
            .ShouldBe([("(none)", 1.00m), ("team=web", 0.50m), ("env=ci", 0.25m), ("team=core", 0.25m)], "a request counts under each of its job's labels");
        (await store.SpendTotalsAsync(At(0), "repo", Ct)).Single(t => t.Key == "/tmp/repo").Requests.ShouldBe(2);

        var one = await store.SpendForJobAsync(core.Id, Ct);
        (one.Requests, one.InputTokens, one.CostUsd).ShouldBe((1L, 100L, 0.25m));
        (await store.SpendForJobAsync(9999, Ct)).Requests.ShouldBe(0);
    }
}
