using Drover.Core;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>Alerts: one per key within the cooldown, fleet-wide (two store instances stand for two processes).</summary>
public abstract class AlertsConformance : StoreConformanceBase
{
    private static readonly TimeSpan Cooldown = TimeSpan.FromMinutes(30);

    private static AlertRaiseParams Raise(string key, DateTimeOffset now, string message = "worker lost: w1") =>
        new(key, key.Split(':')[0], key.Split(':')[1], message, """{"worker":"w1"}""", Cooldown, now);

    [Fact]
    public async Task AlertRaise_SameKeyWithinCooldown_FoldsIntoOne_AcrossInstances_AfterCooldownRaisesAgain()
    {
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);

        var first = await store.AlertRaiseAsync(Raise("worker_lost:w1", At(0)), Ct);
        var again = await other.AlertRaiseAsync(Raise("worker_lost:w1", At(60)), Ct);
        var otherKey = await other.AlertRaiseAsync(Raise("worker_lost:w2", At(61), "worker lost: w2"), Ct);
        var later = await store.AlertRaiseAsync(Raise("worker_lost:w1", At(1800)), Ct);

        first.Raised.ShouldBeTrue();
        first.Alert.Count.ShouldBe(1);
        again.Raised.ShouldBeFalse();
        again.Alert.Id.ShouldBe(first.Alert.Id);
        again.Alert.Count.ShouldBe(2);
        otherKey.Raised.ShouldBeTrue();
        later.Raised.ShouldBeTrue();
        later.Alert.Id.ShouldNotBe(first.Alert.Id);

        var open = await other.AlertListAsync(new AlertListParams(), Ct);
        open.Select(a => a.Key).ShouldBe(["worker_lost:w1", "worker_lost:w2", "worker_lost:w1"]);
        var folded = open.Single(a => a.Id == first.Alert.Id);
        folded.Count.ShouldBe(2);
        folded.FirstAt.ShouldBe(At(0));
        folded.LastAt.ShouldBe(At(60));
        folded.Message.ShouldBe("worker lost: w1");
        folded.DataJson.ShouldContain("w1");
        (await EventTypesAsync(store)).Count(t => t == "alert.raised").ShouldBe(3);
    }

    [Fact]
    public async Task AlertAck_LeavesTheOpenList_KeptInAll_TwiceIsUnchanged_UnknownIsNotFound()
    {
        var store = await NewStoreAsync();
        var a = (await store.AlertRaiseAsync(Raise("queue_stalled:fleet", At(0), "queue stalled"), Ct)).Alert;
        var b = (await store.AlertRaiseAsync(Raise("job_dead:7", At(1), "job 7 failed"), Ct)).Alert;

        var acked = await store.AlertAckAsync(new AlertAckParams(a.Id, At(5)), Ct);
        var twice = await store.AlertAckAsync(new AlertAckParams(a.Id, At(9)), Ct);

        acked.AckedAt.ShouldBe(At(5));
        twice.AckedAt.ShouldBe(At(5));
        (await store.AlertListAsync(new AlertListParams(), Ct)).Select(x => x.Id).ShouldBe([b.Id]);
        (await store.AlertListAsync(new AlertListParams(All: true), Ct)).Select(x => x.Id).ShouldBe([b.Id, a.Id]);
        await Should.ThrowAsync<NotFoundException>(() => store.AlertAckAsync(new AlertAckParams(999, At(10)), Ct));
        (await EventTypesAsync(store)).Count(t => t == "alert.acked").ShouldBe(1);
    }

    [Fact]
    public async Task AlertAck_WithBy_KeepsWhatClosedIt_APersonsAckHasNone()
    {
        var store = await NewStoreAsync();
        var a = (await store.AlertRaiseAsync(Raise("job_dead:7", At(0), "job 7 failed"), Ct)).Alert;
        var b = (await store.AlertRaiseAsync(Raise("job_dead:8", At(1), "job 8 failed"), Ct)).Alert;

        var resolved = await store.AlertAckAsync(new AlertAckParams(a.Id, At(5), "resolved: job succeeded"), Ct);
        await store.AlertAckAsync(new AlertAckParams(b.Id, At(6)), Ct);

        resolved.AckedBy.ShouldBe("resolved: job succeeded");
        var all = await store.AlertListAsync(new AlertListParams(All: true), Ct);
        all.Single(x => x.Id == a.Id).AckedBy.ShouldBe("resolved: job succeeded");
        all.Single(x => x.Id == b.Id).AckedBy.ShouldBeNull();
        all.Single(x => x.Id == b.Id).AckedAt.ShouldBe(At(6));
    }

    [Fact]
    public async Task AlertDelivered_IsRecorded_AndCursorOnlyMovesForward()
    {
        var store = await NewStoreAsync();
        (await store.AlertCursorGetAsync(Ct)).ShouldBe(0);
        var a = (await store.AlertRaiseAsync(Raise("worker_lost:w1", At(0)), Ct)).Alert;
        await store.AlertDeliveredAsync(new AlertDeliveredParams(a.Id, "webhook: delivered (1 try)", At(2)), Ct);

        var stored = (await store.AlertListAsync(new AlertListParams(), Ct)).Single();
        stored.DeliveredAt.ShouldBe(At(2));
        stored.Delivery.ShouldBe("webhook: delivered (1 try)");

        var last = await store.EventLastIdAsync(Ct);
        last.ShouldBeGreaterThan(0);
        await store.AlertCursorSetAsync(last, Ct);
        await store.AlertCursorSetAsync(last - 1, Ct);
        (await store.AlertCursorGetAsync(Ct)).ShouldBe(last);
    }

    [Fact]
    public async Task AlertTakeOverDelivery_OnlyOnce_AndNeverAfterADeliveryWasRecorded()
    {
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);
        var orphan = (await store.AlertRaiseAsync(Raise("worker_lost:w1", At(0)), Ct)).Alert;
        var delivered = (await store.AlertRaiseAsync(Raise("worker_lost:w2", At(0), "worker lost: w2"), Ct)).Alert;
        await store.AlertDeliveredAsync(new AlertDeliveredParams(delivered.Id, "webhook: delivered (1 try)", At(1)), Ct);

        var takes = await Task.WhenAll(
            store.AlertTakeOverDeliveryAsync(orphan.Id, At(600), Ct),
            other.AlertTakeOverDeliveryAsync(orphan.Id, At(600), Ct));

        takes.Count(t => t).ShouldBe(1);
        (await store.AlertTakeOverDeliveryAsync(delivered.Id, At(600), Ct)).ShouldBeFalse();
        var list = await store.AlertListAsync(new AlertListParams(), Ct);
        list.Single(a => a.Id == orphan.Id).DeliveredAt.ShouldBe(At(600));
        list.Single(a => a.Id == delivered.Id).Delivery.ShouldBe("webhook: delivered (1 try)");
    }
}
