using Drover.Core.Jobs;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>Worker rows, heartbeats, and lost-worker detection (SPEC §6).</summary>
public abstract class WorkersConformance : StoreConformanceBase
{
    private static readonly TimeSpan HeartbeatTimeout = TimeSpan.FromSeconds(30);

    private static Task RegisterAsync(IJobStore store, string name, DateTimeOffset now) =>
        store.WorkerRegisterAsync(new WorkerRegisterParams(name, "host-a", 4242, 4, ["os:linux"], now), Ct);

    private static Task<bool> HeartbeatAsync(IJobStore store, string name, DateTimeOffset now, params long[] running) =>
        store.WorkerHeartbeatAsync(new WorkerHeartbeatParams(name, now, running.Length == 0 ? "idle" : "busy", running), Ct);

    [Fact]
    public async Task WorkerRegister_NewWorker_ListedIdleWithEvent()
    {
        var store = await NewStoreAsync();

        await RegisterAsync(store, "w1", At(1));

        var worker = (await store.WorkerListAsync(Ct)).ShouldHaveSingleItem();
        worker.Name.ShouldBe("w1");
        worker.Host.ShouldBe("host-a");
        worker.Pid.ShouldBe(4242);
        worker.Slots.ShouldBe(4);
        worker.State.ShouldBe("idle");
        worker.Capabilities.ShouldBe(["os:linux"]);
        worker.StartedAt.ShouldBe(At(1));
        worker.LastHeartbeatAt.ShouldBe(At(1));
        var evt = (await EventsAsync(store)).ShouldHaveSingleItem();
        evt.Type.ShouldBe("worker.started");
        evt.Worker.ShouldBe("w1");
    }

    [Fact]
    public async Task WorkerHeartbeat_RegisteredWorker_UpdatesStateAndRunning()
    {
        var store = await NewStoreAsync();
        await RegisterAsync(store, "w1", At(1));

        (await HeartbeatAsync(store, "w1", At(5), 11, 12)).ShouldBeTrue();

        var worker = (await store.WorkerListAsync(Ct)).ShouldHaveSingleItem();
        worker.State.ShouldBe("busy");
        worker.Running.ShouldBe([11L, 12L]);
        worker.LastHeartbeatAt.ShouldBe(At(5));
    }

    [Fact]
    public async Task WorkerHeartbeat_UnknownWorker_ReturnsFalse()
    {
        var store = await NewStoreAsync();

        (await HeartbeatAsync(store, "ghost", At(1))).ShouldBeFalse();
    }

    [Fact]
    public async Task WorkerRescueLost_SilentWorker_MarkedLostAndJobsReleased()
    {
        var store = await NewStoreAsync();
        await RegisterAsync(store, "w1", At(0));
        await RegisterAsync(store, "w2", At(0));
        await SubmitAsync(store, "a");
        var job = await ClaimOneAsync(store, At(1), "w1");
        await HeartbeatAsync(store, "w2", At(40));

        var lost = await store.WorkerRescueLostAsync(new WorkerRescueParams(At(31), HeartbeatTimeout, 0.5), Ct);

        lost.ShouldBe(["w1"]);
        var workers = await store.WorkerListAsync(Ct);
        workers.Single(w => w.Name == "w1").State.ShouldBe("lost");
        workers.Single(w => w.Name == "w2").State.ShouldBe("idle");
        var stored = await GetAsync(store, job.Id);
        stored.State.ShouldBe(JobState.Queued);
        stored.Class.ShouldBe(FailureClass.Lost);
        stored.NextEligibleAt.ShouldBe(At(31));
        (await EventTypesAsync(store)).ShouldContain("worker.lost");
        (await SucceedAsync(store, job, At(32))).Applied.ShouldBeFalse();
    }

    [Fact]
    public async Task WorkerHeartbeat_AfterMarkedLost_ReturnsFalse()
    {
        var store = await NewStoreAsync();
        await RegisterAsync(store, "w1", At(0));
        await store.WorkerRescueLostAsync(new WorkerRescueParams(At(31), HeartbeatTimeout, 0.5), Ct);

        (await HeartbeatAsync(store, "w1", At(32))).ShouldBeFalse();
        (await store.WorkerListAsync(Ct)).Single().State.ShouldBe("lost");
    }

    [Fact]
    public async Task WorkerRescueLost_RecentHeartbeat_NotLost()
    {
        var store = await NewStoreAsync();
        await RegisterAsync(store, "w1", At(0));
        await HeartbeatAsync(store, "w1", At(20));

        (await store.WorkerRescueLostAsync(new WorkerRescueParams(At(45), HeartbeatTimeout, 0.5), Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task WorkerStop_RunningWorker_StoppedAndHeartbeatRefused()
    {
        var store = await NewStoreAsync();
        await RegisterAsync(store, "w1", At(0));

        await store.WorkerStopAsync(new WorkerStopParams("w1", At(5)), Ct);

        (await store.WorkerListAsync(Ct)).Single().State.ShouldBe("stopped");
        (await HeartbeatAsync(store, "w1", At(6))).ShouldBeFalse();
        (await EventTypesAsync(store)).ShouldBe(["worker.started", "worker.stopped"]);
        (await store.WorkerRescueLostAsync(new WorkerRescueParams(At(600), HeartbeatTimeout, 0.5), Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task WorkerRegister_AfterLost_ComesBackIdle()
    {
        var store = await NewStoreAsync();
        await RegisterAsync(store, "w1", At(0));
        await store.WorkerRescueLostAsync(new WorkerRescueParams(At(31), HeartbeatTimeout, 0.5), Ct);

        await RegisterAsync(store, "w1", At(40));

        (await store.WorkerListAsync(Ct)).Single().State.ShouldBe("idle");
        (await HeartbeatAsync(store, "w1", At(41))).ShouldBeTrue();
    }
}
