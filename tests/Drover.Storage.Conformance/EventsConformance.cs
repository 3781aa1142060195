using System.Diagnostics;
using Drover.Core.Jobs;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>The append-only event log and change notification.</summary>
public abstract class EventsConformance : StoreConformanceBase
{
    [Fact]
    public async Task EventList_JobLifecycle_EachTransitionInOrder()
    {
        var store = await NewStoreAsync();
        var job = await SubmitAsync(store);
        var claimed = await ClaimOneAsync(store, At(1));
        await store.JobProgressAsync(new JobProgressParams(job.Id, claimed.Epoch, At(2), "p"), Ct);
        await FailAsync(store, claimed, now: At(3));
        var again = await ClaimOneAsync(store, At(3600));
        await SucceedAsync(store, again, At(3601));

        var events = await EventsAsync(store, job.Id);

        events.Select(e => e.Type).ShouldBe(
            ["job.submitted", "job.claimed", "job.progress", "job.retrying", "job.claimed", "job.succeeded"]);
        events.Select(e => e.Id).ShouldBeInOrder(SortDirection.Ascending);
        events.Select(e => e.At).ShouldBe([T0, At(1), At(2), At(3), At(3600), At(3601)]);
        events.ShouldAllBe(e => e.JobId == job.Id && e.DataJson.StartsWith('{'));
    }

    [Fact]
    public async Task EventLastId_EmptyThenAfterWrites_IsTheNewestEventsId()
    {
        var store = await NewStoreAsync();
        var empty = await store.EventLastIdAsync(Ct);
        await SubmitAsync(store);
        var appended = await store.EventAppendAsync(new EventAppendParams("alert.raised", null, "w1", "{}", At(1)), Ct);

        var last = await store.EventLastIdAsync(Ct);

        empty.ShouldBe(0);
        last.ShouldBe(appended);
        (await EventsAsync(store)).Max(e => e.Id).ShouldBe(last);
        (await store.EventListAsync(new EventListParams(last, 10), Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task EventAppend_CustomEvent_ReturnedWithIncreasingId()
    {
        var store = await NewStoreAsync();

        var a = await store.EventAppendAsync(new EventAppendParams("alert.raised", null, "w1", """{"x":1}""", At(1)), Ct);
        var b = await store.EventAppendAsync(new EventAppendParams("alert.cleared", 7, null, "{}", At(2)), Ct);

        b.ShouldBeGreaterThan(a);
        var events = await EventsAsync(store);
        events.Count.ShouldBe(2);
        events[0].ShouldBe(new EventRecord(a, At(1), "alert.raised", null, "w1", """{"x":1}"""));
        events[1].JobId.ShouldBe(7);
    }

    [Fact]
    public async Task EventList_PagedWhileClaimsAndCompletionsCommitConcurrently_PassesOverNoEvent()
    {
        // A reader paging by id while writers commit side by side must never move past an event that then commits
        // with a smaller id: every event the log ends with is one the pager saw.
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);
        const int Jobs = 200;
        for (var i = 0; i < Jobs; i++)
            await SubmitAsync(store, $"j{i}");
        var baseline = (await EventsAsync(store)).Max(e => e.Id);

        using var done = new CancellationTokenSource();
        var seen = new List<long>();
        var pager = Task.Run(
            async () =>
            {
                var after = baseline;
                while (true)
                {
                    var finished = done.IsCancellationRequested;
                    var page = await store.EventListAsync(new EventListParams(after, 50), Ct);
                    seen.AddRange(page.Select(e => e.Id));
                    if (page.Count > 0)
                        after = page[^1].Id;
                    else if (finished)
                        return;
                }
            },
            Ct);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(c => Task.Run(
            async () =>
            {
                var s = c % 2 == 0 ? store : other;
                while ((await ClaimAsync(s, At(1), worker: $"w{c}")) is [var job])
                    (await SucceedAsync(s, job, At(2))).Applied.ShouldBeTrue();
            },
            Ct)));
        await done.CancelAsync();
        await pager;

        var all = (await EventsAsync(store)).Where(e => e.Id > baseline).Select(e => e.Id).ToList();
        all.Count.ShouldBe(Jobs * 2);
        seen.ShouldBe(all);
    }

    [Fact]
    public async Task EventList_PagedByAfterId_ReturnsEveryEventOnceInOrder()
    {
        var store = await NewStoreAsync();
        for (var i = 0; i < 25; i++)
            await SubmitAsync(store, $"j{i}");

        var seen = new List<long>();
        long after = 0;
        while (true)
        {
            var page = await store.EventListAsync(new EventListParams(after, 7), Ct);
            if (page.Count == 0)
                break;
            page.Count.ShouldBeLessThanOrEqualTo(7);
            seen.AddRange(page.Select(e => e.Id));
            after = page[^1].Id;
        }

        seen.Count.ShouldBe(25);
        seen.ShouldBeInOrder(SortDirection.Ascending);
        seen.Distinct().Count().ShouldBe(25);
    }

    [Fact]
    public async Task EventList_JobFilter_ReturnsOnlyThatJob()
    {
        var store = await NewStoreAsync();
        var a = await SubmitAsync(store, "a");
        await SubmitAsync(store, "b");

        var events = await EventsAsync(store, a.Id);

        events.ShouldHaveSingleItem().JobId.ShouldBe(a.Id);
    }

    [Fact]
    public async Task EventList_AfterMoreWrites_EarlierEventsUnchanged()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store, "a");
        var before = await EventsAsync(store);
        var claimed = await ClaimOneAsync(store, At(1));
        await SucceedAsync(store, claimed, At(2));

        var after = await EventsAsync(store);

        after.Take(before.Count).ShouldBe(before);
    }

    [Fact]
    public async Task WaitForChange_WriteThroughSameStore_Completes()
    {
        var store = await NewStoreAsync();
        var wait = store.WaitForChangeAsync(TimeSpan.FromSeconds(30), Ct);

        await SubmitAsync(store);

        (await Task.WhenAny(wait, Task.Delay(TimeSpan.FromSeconds(10), Ct))).ShouldBe(wait);
    }

    [Fact]
    public async Task WaitForChange_WriteThroughSecondInstance_Completes()
    {
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);
        var wait = store.WaitForChangeAsync(TimeSpan.FromSeconds(30), Ct);

        await SubmitAsync(other);

        (await Task.WhenAny(wait, Task.Delay(TimeSpan.FromSeconds(10), Ct))).ShouldBe(wait);
    }

    [Fact]
    public async Task WaitForChange_NothingHappens_ReturnsAfterMaxWait()
    {
        var store = await NewStoreAsync();
        var sw = Stopwatch.StartNew();

        await store.WaitForChangeAsync(TimeSpan.FromMilliseconds(50), Ct);

        sw.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10));
    }
}
