using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>A worker that cannot take work: its gate on the worker row, and attempts the host (not the job) failed.</summary>
public abstract class HostGateConformance : StoreConformanceBase
{
    private static Task RegisterAsync(IJobStore store, string name, DateTimeOffset now) =>
        store.WorkerRegisterAsync(new WorkerRegisterParams(name, "host-a", 4242, 4, ["os:linux"], now), Ct);

    [Fact]
    public async Task WorkerHeartbeat_WithGate_ListedUntilAHeartbeatWithoutOne()
    {
        var store = await NewStoreAsync();
        await RegisterAsync(store, "w1", At(0));

        (await store.WorkerHeartbeatAsync(new WorkerHeartbeatParams("w1", At(1), "idle", [], "free memory 310 MiB < 512 MiB"), Ct)).ShouldBeTrue();
        (await store.WorkerListAsync(Ct)).ShouldHaveSingleItem().Gate.ShouldBe("free memory 310 MiB < 512 MiB");

        await store.WorkerHeartbeatAsync(new WorkerHeartbeatParams("w1", At(2), "idle", []), Ct);
        (await store.WorkerListAsync(Ct)).ShouldHaveSingleItem().Gate.ShouldBeNull();
    }

    [Fact]
    public async Task WorkerRegister_GatedWorkerRestarts_GateCleared()
    {
        var store = await NewStoreAsync();
        await RegisterAsync(store, "w1", At(0));
        await store.WorkerHeartbeatAsync(new WorkerHeartbeatParams("w1", At(1), "idle", [], "cannot write runs/"), Ct);

        // Restarted after its process died: its heartbeat went silent for longer than the timeout.
        await RegisterAsync(store, "w1", At(120));

        (await store.WorkerListAsync(Ct)).ShouldHaveSingleItem().Gate.ShouldBeNull();
    }

    [Fact]
    public async Task JobComplete_HostFailureOnLastAttempt_RequeuedAtOnceWithRetryBudgetIntact()
    {
        var store = await NewStoreAsync();
        var once = new RetryPolicy(1, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(10), RetryPolicy.Default.On);
        var job = await SubmitAsync(store, Spec("only-once", retry: once));

        for (var i = 0; i < 3; i++)
        {
            var claimed = await ClaimOneAsync(store, At(i));
            var r = await CompleteAsync(store, claimed, AttemptOutcome.HostFailure("cannot write runs/"), At(i));
            r.Applied.ShouldBeTrue();
            r.State.ShouldBe(JobState.Queued);
        }

        var stored = await GetAsync(store, job.Id);
        stored.Failures.ShouldBe(0);
        stored.NextEligibleAt.ShouldBe(At(2));
        stored.Class.ShouldBe(FailureClass.Infra);
        (await store.AttemptListAsync(job.Id, Ct)).ShouldAllBe(a => a.State == "released");
        (await SucceedAsync(store, await ClaimOneAsync(store, At(3)), At(4))).State.ShouldBe(JobState.Succeeded);
    }

    [Fact]
    public async Task JobComplete_HostFailureWithStaleEpoch_NotApplied()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var first = await ClaimOneAsync(store, At(0));
        await CompleteAsync(store, first, AttemptOutcome.HostFailure("disk full"), At(1));
        var second = await ClaimOneAsync(store, At(2), "w2");

        (await CompleteAsync(store, first, AttemptOutcome.HostFailure("disk full"), At(3))).Applied.ShouldBeFalse();

        var stored = await GetAsync(store, second.Id);
        stored.State.ShouldBe(JobState.Running);
        stored.Worker.ShouldBe("w2");
    }
}
