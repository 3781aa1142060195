using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>drover gc: terminal jobs past the retention go, with everything of theirs; nothing live is touched.</summary>
public abstract class GcConformance : StoreConformanceBase
{
    [Fact]
    public async Task JobGc_OldTerminalJobs_DeletedWithAttemptsDepsAndEvents_LiveAndRecentKept()
    {
        var store = await NewStoreAsync();
        var oldDone = await SubmitAsync(store, "old succeeded");
        await SucceedAsync(store, await ClaimOneAsync(store, At(1)), At(2));
        var oldFailed = await SubmitAsync(store, Spec("old failed", retry: new RetryPolicy(1, TimeSpan.Zero, TimeSpan.Zero, [])));
        await FailAsync(store, await ClaimOneAsync(store, At(3)), now: At(4));
        var oldCancelled = await SubmitAsync(store, "old cancelled");
        await store.JobCancelAsync(new JobCancelParams(oldCancelled.Id, At(5)), Ct);
        // Old and succeeded, but an unfinished job depends on it: kept (the dependent's deps must still resolve).
        var needed = await SubmitAsync(store, Spec("needed", priority: 90));
        await SucceedAsync(store, await ClaimOneAsync(store, At(6)), At(7));
        var dependent = await SubmitAsync(store, Spec("dependent", after: [needed.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]), At(8));
        var running = await SubmitAsync(store, "old running", now: At(9));
        (await ClaimAsync(store, At(10), max: 2)).Count.ShouldBe(2); // the dependent and "old running": unfinished
        var recent = await SubmitAsync(store, "recent", now: At(100));
        await store.JobCancelAsync(new JobCancelParams(recent.Id, At(200)), Ct);
        await store.EventAppendAsync(new EventAppendParams("worker.lost", null, "w9", "{}", At(11)), Ct);
        await store.EventAppendAsync(new EventAppendParams("worker.lost", null, "w9", "{}", At(150)), Ct);

        var result = await store.JobGcAsync(new JobGcParams(At(50), 100, At(300)), Ct);

        result.JobIds.ShouldBe([oldDone.Id, oldFailed.Id, oldCancelled.Id], ignoreOrder: true);
        foreach (var id in result.JobIds)
        {
            (await store.JobGetAsync(id, Ct)).ShouldBeNull();
            (await store.AttemptListAsync(id, Ct)).ShouldBeEmpty();
            (await EventsAsync(store, id)).ShouldBeEmpty();
        }

        (await GetAsync(store, needed.Id)).State.ShouldBe(JobState.Succeeded);
        (await GetAsync(store, recent.Id)).State.ShouldBe(JobState.Cancelled);
        var live = await store.JobListAsync(new JobListParams(Limit: 100), Ct);
        live.Jobs.Select(j => j.Id).ShouldBe([recent.Id, running.Id, dependent.Id, needed.Id], ignoreOrder: true);
        (await EventsAsync(store, needed.Id)).ShouldNotBeEmpty();
        var loose = (await EventsAsync(store)).Where(e => e.JobId is null && e.Type == "worker.lost").Select(e => e.At).ToList();
        loose.ShouldBe([At(150)]);
        result.Events.ShouldBeGreaterThan(3);

        (await GetAsync(store, dependent.Id)).State.ShouldBe(JobState.Running);
        (await store.JobGcAsync(new JobGcParams(At(50), 100, At(300)), Ct)).JobIds.ShouldBeEmpty();
    }

    [Fact]
    public async Task JobGc_InBatches_EachCallDeletesAtMostTheBatchOldestFirst()
    {
        var store = await NewStoreAsync();
        var ids = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            var job = await SubmitAsync(store, $"j{i}", now: At(i));
            await store.JobCancelAsync(new JobCancelParams(job.Id, At(10 + i)), Ct);
            ids.Add(job.Id);
        }

        var first = await store.JobGcAsync(new JobGcParams(At(100), 2, At(100)), Ct);
        var second = await store.JobGcAsync(new JobGcParams(At(100), 2, At(100)), Ct);
        var third = await store.JobGcAsync(new JobGcParams(At(100), 2, At(100)), Ct);
        var fourth = await store.JobGcAsync(new JobGcParams(At(100), 2, At(100)), Ct);

        first.JobIds.ShouldBe(ids[..2]);
        second.JobIds.ShouldBe(ids[2..4]);
        third.JobIds.ShouldBe([ids[4]]);
        fourth.JobIds.ShouldBeEmpty();
        (await store.JobCountsAsync(Ct)).Values.Sum().ShouldBe(0);
    }
}
