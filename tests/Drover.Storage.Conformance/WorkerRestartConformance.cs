using System.Text.Json;
using Drover.Core;
using Drover.Core.Jobs;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>
/// A worker registering under a name whose row never stopped: the previous process died (lost at its last heartbeat,
/// its jobs released) or is alive (the name is taken).
/// </summary>
public abstract class WorkerRestartConformance : StoreConformanceBase
{
    private static readonly TimeSpan HeartbeatTimeout = TimeSpan.FromSeconds(30);

    private static Task RegisterAsync(IJobStore store, string name, int pid, DateTimeOffset now, int? knownDeadPid = null) =>
        store.WorkerRegisterAsync(new WorkerRegisterParams(name, "host-a", pid, 2, ["os:linux"], now, HeartbeatTimeout, knownDeadPid), Ct);

    [Fact]
    public async Task WorkerRegister_PreviousRowSilentPastTimeout_MarkedLostAtItsLastHeartbeat_JobsReleased()
    {
        var store = await NewStoreAsync();
        await RegisterAsync(store, "box", 100, At(0));
        await SubmitAsync(store, "a");
        var job = await ClaimOneAsync(store, At(1), "box");
        (await store.WorkerHeartbeatAsync(new WorkerHeartbeatParams("box", At(10), "busy", [job.Id]), Ct)).ShouldBeTrue();

        // Killed right after that heartbeat; nothing reaped it; back 12 minutes later under the same name.
        await RegisterAsync(store, "box", 200, At(730));

        var events = await EventsAsync(store);
        events.Select(e => e.Type).Where(t => t.StartsWith("worker.", StringComparison.Ordinal))
            .ShouldBe(["worker.started", "worker.lost", "worker.started"]);
        var lost = events.Single(e => e.Type == "worker.lost");
        lost.Worker.ShouldBe("box");
        lost.At.ShouldBe(At(730));
        using (var data = JsonDocument.Parse(lost.DataJson))
        {
            data.RootElement.GetProperty("timeout_s").GetDouble().ShouldBe(720);
            data.RootElement.GetProperty("last_heartbeat_at").GetDateTimeOffset().ShouldBe(At(10));
        }

        events.IndexOf(lost).ShouldBeLessThan(events.FindLastIndex(e => e.Type == "worker.started"));
        var row = (await store.WorkerListAsync(Ct)).ShouldHaveSingleItem();
        (row.State, row.Pid, row.StartedAt).ShouldBe(("idle", 200, At(730)));
        var stored = await GetAsync(store, job.Id);
        stored.State.ShouldBe(JobState.Queued);
        stored.Class.ShouldBe(FailureClass.Lost);
        (await SucceedAsync(store, job, At(731))).Applied.ShouldBeFalse();
    }

    [Fact]
    public async Task WorkerRegister_PreviousRowLiveAndFresh_ConflictNamingIt_RowUnchanged()
    {
        var store = await NewStoreAsync();
        await RegisterAsync(store, "box", 100, At(0));
        (await store.WorkerHeartbeatAsync(new WorkerHeartbeatParams("box", At(20), "idle", []), Ct)).ShouldBeTrue();

        var e = await Should.ThrowAsync<ConflictException>(() => RegisterAsync(store, "box", 200, At(25)));

        e.Message.ShouldContain("worker name box is in use by a live worker (pid 100 on host-a");
        var row = (await store.WorkerListAsync(Ct)).ShouldHaveSingleItem();
        (row.Pid, row.State).ShouldBe((100, "idle"));
        (await EventTypesAsync(store)).ShouldBe(["worker.started"]);
    }

    [Fact]
    public async Task WorkerRegister_KnownDeadPidOnThisHost_LostAtOnceEvenWithAFreshHeartbeat()
    {
        var store = await NewStoreAsync();
        await RegisterAsync(store, "box", 100, At(0));
        (await store.WorkerHeartbeatAsync(new WorkerHeartbeatParams("box", At(20), "idle", []), Ct)).ShouldBeTrue();

        await RegisterAsync(store, "box", 200, At(22), knownDeadPid: 100);

        (await EventTypesAsync(store)).ShouldBe(["worker.started", "worker.lost", "worker.started"]);
        (await store.WorkerListAsync(Ct)).ShouldHaveSingleItem().Pid.ShouldBe(200);
    }

    [Fact]
    public async Task WorkerRegister_AfterAStop_ReplacesTheRow_NoLoss()
    {
        var store = await NewStoreAsync();
        await RegisterAsync(store, "box", 100, At(0));
        await store.WorkerStopAsync(new WorkerStopParams("box", At(5)), Ct);

        await RegisterAsync(store, "box", 200, At(9));

        (await EventTypesAsync(store)).ShouldBe(["worker.started", "worker.stopped", "worker.started"]);
        var row = (await store.WorkerListAsync(Ct)).ShouldHaveSingleItem();
        (row.Pid, row.State).ShouldBe((200, "idle"));
    }
}
