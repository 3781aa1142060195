using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>Fleet pause and per-engine gates stop claims, nothing else.</summary>
public abstract class PauseConformance : StoreConformanceBase
{
    [Fact]
    public async Task JobClaim_FleetPaused_ClaimsNothingUntilResumed()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        await store.FleetSetPausedAsync(new FleetPauseParams(true, At(1)), Ct);

        (await ClaimAsync(store, At(2))).ShouldBeEmpty();
        await store.FleetSetPausedAsync(new FleetPauseParams(false, At(3)), Ct);

        (await ClaimAsync(store, At(4))).Count.ShouldBe(1);
    }

    [Fact]
    public async Task FleetSetPaused_PauseThenResume_ReportsStateAndEmitsEvents()
    {
        var store = await NewStoreAsync();
        (await store.FleetGetAsync(Ct)).Paused.ShouldBeFalse();

        await store.FleetSetPausedAsync(new FleetPauseParams(true, At(1)), Ct);
        var paused = await store.FleetGetAsync(Ct);
        await store.FleetSetPausedAsync(new FleetPauseParams(false, At(2)), Ct);

        (paused.Paused, paused.PausedAt, paused.Gates.Count).ShouldBe((true, (DateTimeOffset?)At(1), 0));
        (await store.FleetGetAsync(Ct)).Paused.ShouldBeFalse();
        (await EventTypesAsync(store)).ShouldBe(["fleet.paused", "fleet.resumed"]);
    }

    [Fact]
    public async Task FleetSetPaused_AlreadyPaused_EmitsNoSecondEvent()
    {
        var store = await NewStoreAsync();

        await store.FleetSetPausedAsync(new FleetPauseParams(true, At(1)), Ct);
        await store.FleetSetPausedAsync(new FleetPauseParams(true, At(2)), Ct);

        (await EventTypesAsync(store)).ShouldBe(["fleet.paused"]);
        (await store.FleetGetAsync(Ct)).PausedAt.ShouldBe(At(1));
    }

    [Fact]
    public async Task JobClaim_EngineGated_SkipsOnlyThatEngine()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store, Spec("codex job", priority: 90, engine: "codex"));
        var shell = await SubmitAsync(store, Spec("shell job", priority: 10, engine: "shell"));

        var claimed = await ClaimAsync(store, At(1), max: 5, pausedEngines: new HashSet<string> { "codex" });

        claimed.ShouldHaveSingleItem().Id.ShouldBe(shell.Id);
    }
}
