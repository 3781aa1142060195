using Drover.Core;
using Drover.Core.Jobs;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>Schedules: one job per tick however many stores race it; overlap and catch-up rules; config sync.</summary>
public abstract class SchedulesConformance : StoreConformanceBase
{
    private static ScheduleUpsertParams Schedule(
        string name = "nightly", string overlap = "queue", string catchUp = "once", DateTimeOffset? next = null, bool fromConfig = false, string cron = "0 3 * * *") =>
        new(name, cron, "UTC", """{"prompt":"tidy"}""", overlap, catchUp, fromConfig, next ?? At(60), T0);

    private static ScheduleFireParams Fire(string name, DateTimeOffset due, DateTimeOffset now, bool manual = false) =>
        new(name, due, due.AddDays(1), InsertParams(Spec("tick", key: $"schedule:{name}:{(manual ? "run:" : "")}{due.ToUnixTimeSeconds()}"), now), now, manual);

    [Fact]
    public async Task ScheduleFire_TwoStoresRaceOneTick_ExactlyOneJob()
    {
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);
        await store.ScheduleUpsertAsync(Schedule(), Ct);

        var results = await Task.WhenAll(
            Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? store : other).ScheduleFireAsync(Fire("nightly", At(60), At(61)), Ct)));

        results.Count(r => r.Outcome == ScheduleFireOutcome.Fired).ShouldBe(1);
        results.Count(r => r.Outcome == ScheduleFireOutcome.Lost).ShouldBe(7);
        var page = await store.JobListAsync(new JobListParams(null, null, null, 100, null), Ct);
        page.Jobs.ShouldHaveSingleItem().Key.ShouldBe($"schedule:nightly:{At(60).ToUnixTimeSeconds()}");
        var schedule = (await other.ScheduleGetAsync("nightly", Ct)).ShouldNotBeNull();
        (schedule.NextAt, schedule.LastJobId, schedule.LastJobState, schedule.LastTickAt).ShouldBe((At(60).AddDays(1), page.Jobs[0].Id, "queued", At(60)));
    }

    [Fact]
    public async Task ScheduleFire_OverlapSkipWhilePreviousUnfinished_SkipsThenFiresAfterItEnds()
    {
        var store = await NewStoreAsync();
        await store.ScheduleUpsertAsync(Schedule(overlap: "skip", next: At(10)), Ct);
        var first = await store.ScheduleFireAsync(Fire("nightly", At(10), At(10)), Ct);
        await store.ScheduleUpsertAsync(Schedule(overlap: "skip", next: At(20)) with { Replace = true, Cron = "* * * * *" }, Ct);

        var skipped = await store.ScheduleFireAsync(Fire("nightly", At(20), At(20)), Ct);
        var claimed = await ClaimOneAsync(store, At(21));
        await SucceedAsync(store, claimed, At(22));
        var afterEnd = await store.ScheduleFireAsync(Fire("nightly", At(20).AddDays(1), At(20).AddDays(1)), Ct);

        first.Outcome.ShouldBe(ScheduleFireOutcome.Fired);
        skipped.Outcome.ShouldBe(ScheduleFireOutcome.SkippedOverlap);
        skipped.Job.ShouldBeNull();
        claimed.Id.ShouldBe(first.Job!.Id);
        afterEnd.Outcome.ShouldBe(ScheduleFireOutcome.Fired);
        (await store.JobListAsync(new JobListParams(null, null, null, 100, null), Ct)).Jobs.Count.ShouldBe(2);
        (await EventTypesAsync(store, first.Job.Id)).ShouldContain("schedule.skipped");
    }

    [Fact]
    public async Task ScheduleFire_OverlapQueue_FiresBesideAnUnfinishedJob()
    {
        var store = await NewStoreAsync();
        await store.ScheduleUpsertAsync(Schedule(overlap: "queue", next: At(10)), Ct);

        var first = await store.ScheduleFireAsync(Fire("nightly", At(10), At(10)), Ct);
        var second = await store.ScheduleFireAsync(Fire("nightly", At(10).AddDays(1), At(10).AddDays(1)), Ct);

        (first.Outcome, second.Outcome).ShouldBe((ScheduleFireOutcome.Fired, ScheduleFireOutcome.Fired));
        second.Job!.Id.ShouldNotBe(first.Job!.Id);
    }

    [Theory]
    [InlineData("once", ScheduleFireOutcome.Fired)]
    [InlineData("skip", ScheduleFireOutcome.SkippedMissed)]
    public async Task ScheduleFire_TickMissedDuringDowntime_CatchUpDecides(string catchUp, ScheduleFireOutcome expected)
    {
        var store = await NewStoreAsync();
        await store.ScheduleUpsertAsync(Schedule(catchUp: catchUp, next: At(10)), Ct);

        var late = await store.ScheduleFireAsync(Fire("nightly", At(10), At(10).AddHours(5)) with { Next = At(10).AddDays(1) }, Ct);
        var onTime = await store.ScheduleFireAsync(Fire("nightly", At(10).AddDays(1), At(12).AddDays(1)), Ct);

        late.Outcome.ShouldBe(expected);
        onTime.Outcome.ShouldBe(ScheduleFireOutcome.Fired);
        (await store.JobListAsync(new JobListParams(null, null, null, 100, null), Ct)).Jobs.Count.ShouldBe(expected == ScheduleFireOutcome.Fired ? 2 : 1);
        (await store.ScheduleGetAsync("nightly", Ct))!.NextAt.ShouldBe(At(10).AddDays(2));
    }

    [Fact]
    public async Task ScheduleFire_Manual_SubmitsNowAndKeepsTheNextTick()
    {
        var store = await NewStoreAsync();
        await store.ScheduleUpsertAsync(Schedule(next: At(3600)), Ct);

        var run = await store.ScheduleFireAsync(Fire("nightly", At(5), At(5), manual: true), Ct);

        run.Outcome.ShouldBe(ScheduleFireOutcome.Fired);
        var schedule = (await store.ScheduleGetAsync("nightly", Ct))!;
        (schedule.NextAt, schedule.LastJobId).ShouldBe((At(3600), run.Job!.Id));
        await Should.ThrowAsync<NotFoundException>(() => store.ScheduleFireAsync(Fire("nope", At(5), At(5), manual: true), Ct));
    }

    [Fact]
    public async Task ScheduleSync_ConfigSchedules_KeepPendingTickRemoveStaleAndRefuseRm()
    {
        var store = await NewStoreAsync();
        await store.ScheduleUpsertAsync(Schedule("byhand", next: At(50)), Ct);
        await store.ScheduleSyncAsync(new ScheduleSyncParams([Schedule("a", next: At(10)), Schedule("b", next: At(10))], T0), Ct);

        await store.ScheduleSyncAsync(new ScheduleSyncParams([Schedule("a", next: At(999)), Schedule("c", next: At(30))], At(500)), Ct);
        var rmConfig = await store.ScheduleDeleteAsync("a", Ct);
        var rmHand = await store.ScheduleDeleteAsync("byhand", Ct);
        var rmNone = await store.ScheduleDeleteAsync("zzz", Ct);

        var list = await store.ScheduleListAsync(Ct);
        list.Select(s => (s.Name, s.FromConfig, s.NextAt)).ShouldBe([("a", true, At(10)), ("c", true, At(30))]);
        (rmConfig, rmHand, rmNone).ShouldBe((ScheduleDeleteOutcome.FromConfig, ScheduleDeleteOutcome.Deleted, ScheduleDeleteOutcome.NotFound));
        await Should.ThrowAsync<ConflictException>(() => store.ScheduleUpsertAsync(Schedule("a"), Ct));
        (await Should.ThrowAsync<ConflictException>(() => store.ScheduleUpsertAsync(Schedule("a") with { Replace = true }, Ct))).Message.ShouldContain("drover.toml");
        (await store.ScheduleGetAsync("a", Ct))!.FromConfig.ShouldBeTrue();
    }
}
