using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>The reads fleet reports are built from: events filtered by type and time, attempts overlapping a window.</summary>
public abstract class ReportQueriesConformance : StoreConformanceBase
{
    private static readonly string[] WorkerTypes = ["worker.started", "worker.stopped", "worker.lost"];

    private static async Task SeedFleetEventsAsync(IJobStore store)
    {
        await store.WorkerRegisterAsync(new WorkerRegisterParams("w1", "host-a", 11, 3, [], At(1)), Ct);
        await SubmitAsync(store, "a", now: At(2));
        await store.FleetSetPausedAsync(new FleetPauseParams(true, At(3)), Ct);
        await store.WorkerStopAsync(new WorkerStopParams("w1", At(4)), Ct);
        await store.WorkerRegisterAsync(new WorkerRegisterParams("w2", "host-b", 12, 1, [], At(5)), Ct);
        await store.WorkerRescueLostAsync(new WorkerRescueParams(At(100), TimeSpan.FromSeconds(30), 0.5), Ct);
    }

    [Fact]
    public async Task EventList_TypesFilter_ReturnsOnlyThoseTypesInIdOrder()
    {
        var store = await NewStoreAsync();
        await SeedFleetEventsAsync(store);

        var events = await store.EventListAsync(new EventListParams(0, 100) { Types = WorkerTypes }, Ct);

        events.Select(e => (e.Type, e.Worker, e.At)).ShouldBe(
            [("worker.started", "w1", At(1)), ("worker.stopped", "w1", At(4)), ("worker.started", "w2", At(5)), ("worker.lost", "w2", At(100))]);
        events.Select(e => e.Id).ShouldBeInOrder(SortDirection.Ascending);
        events[0].DataJson.ShouldContain("\"slots\":3");
    }

    [Fact]
    public async Task EventList_Since_SkipsEarlierEvents_AndCombinesWithTypes()
    {
        var store = await NewStoreAsync();
        await SeedFleetEventsAsync(store);

        var since = await store.EventListAsync(new EventListParams(0, 100) { Since = At(4) }, Ct);
        var both = await store.EventListAsync(new EventListParams(0, 100) { Since = At(4), Types = ["worker.started", "fleet.paused"] }, Ct);

        since.Select(e => e.Type).ShouldBe(["worker.stopped", "worker.started", "worker.lost"]);
        both.ShouldHaveSingleItem().Worker.ShouldBe("w2");
    }

    [Fact]
    public async Task EventList_FilteredAndPagedByAfterId_ReturnsEachMatchOnce()
    {
        var store = await NewStoreAsync();
        await SeedFleetEventsAsync(store);

        var seen = new List<EventRecord>();
        long after = 0;
        while (await store.EventListAsync(new EventListParams(after, 1) { Types = WorkerTypes }, Ct) is [var e])
        {
            seen.Add(e);
            after = e.Id;
        }

        seen.Select(e => e.Type).ShouldBe(["worker.started", "worker.stopped", "worker.started", "worker.lost"]);
    }

    [Fact]
    public async Task EventList_JobAndTypesFilter_ReturnsThatJobsEventsOfThoseTypes()
    {
        var store = await NewStoreAsync();
        var a = await SubmitAsync(store, "a");
        await SubmitAsync(store, "b");
        await ClaimOneAsync(store, At(1));

        var events = await store.EventListAsync(new EventListParams(0, 100, a.Id) { Types = ["job.claimed"] }, Ct);

        events.ShouldHaveSingleItem().JobId.ShouldBe(a.Id);
    }

    [Fact]
    public async Task EventList_EmptyTypes_MeansEveryType()
    {
        var store = await NewStoreAsync();
        await SeedFleetEventsAsync(store);

        var all = await store.EventListAsync(new EventListParams(0, 100) { Types = [] }, Ct);

        all.Count.ShouldBe((await EventsAsync(store)).Count);
    }

    /// <summary>Job a: attempt 10..20 failed (verify_failed); b: 50..60 succeeded costing $0.25; c: running since 100 on w2.</summary>
    private static async Task<(long A, long B, long C)> SeedAttemptsAsync(IJobStore store)
    {
        var once = RetryPolicy.Default with { MaxAttempts = 1 };
        var a = await SubmitAsync(store, Spec("a", retry: once));
        var claimedA = await ClaimOneAsync(store, At(10));
        await FailAsync(store, claimedA, FailureClass.VerifyFailed, At(20));
        var b = await SubmitAsync(store, Spec("b"), At(40));
        var claimedB = await ClaimOneAsync(store, At(50));
        var usage = new UsageRecord(100, 0, 50, 0.25m, "reported", "m");
        await CompleteAsync(store, claimedB, AttemptOutcome.Success(), At(60), new AttemptResult(ExitCode: 0, Usage: usage, EngineRan: true));
        var c = await SubmitAsync(store, Spec("c"), At(90));
        await ClaimOneAsync(store, At(100), worker: "w2");
        return (a.Id, b.Id, c.Id);
    }

    [Fact]
    public async Task AttemptListBetween_Window_ReturnsOverlappingAttemptsWithOutcomeAndCost()
    {
        var store = await NewStoreAsync();
        var (a, b, _) = await SeedAttemptsAsync(store);

        var spans = await store.AttemptListBetweenAsync(new AttemptWindowParams(At(15), At(55)), Ct);

        spans.ShouldBe([
            new AttemptSpanRecord(a, 1, "w1", At(10), At(20), "failed", FailureClass.VerifyFailed, 0m),
            new AttemptSpanRecord(b, 1, "w1", At(50), At(60), "succeeded", null, 0.25m),
        ]);
    }

    [Fact]
    public async Task AttemptListBetween_EdgesAndRunning_EndedAtFromOrStartedAtToExcluded_RunningIncluded()
    {
        var store = await NewStoreAsync();
        var (_, b, c) = await SeedAttemptsAsync(store);

        (await store.AttemptListBetweenAsync(new AttemptWindowParams(At(20), At(50)), Ct)).ShouldBeEmpty();
        (await store.AttemptListBetweenAsync(new AttemptWindowParams(At(60), At(100)), Ct)).ShouldBeEmpty();
        var late = await store.AttemptListBetweenAsync(new AttemptWindowParams(At(59), At(10_000)), Ct);

        late.Select(s => s.JobId).ShouldBe([b, c]);
        late[1].ShouldBe(new AttemptSpanRecord(c, 1, "w2", At(100), null, "running", null, 0m));
    }

    [Fact]
    public async Task AttemptListBetween_PagedByJobAndN_ReturnsEachAttemptOnce()
    {
        var store = await NewStoreAsync();
        var (a, b, c) = await SeedAttemptsAsync(store);

        var seen = new List<long>();
        var p = new AttemptWindowParams(At(0), At(10_000), Limit: 1);
        while (await store.AttemptListBetweenAsync(p, Ct) is [var span])
        {
            seen.Add(span.JobId);
            p = p with { AfterJobId = span.JobId, AfterN = span.N };
        }

        seen.ShouldBe([a, b, c]);
    }
}
