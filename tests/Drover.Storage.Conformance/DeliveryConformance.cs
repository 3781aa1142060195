using Drover.Core;
using Drover.Core.Jobs;
using Drover.Core.Scheduling;
using Drover.Core.Specs;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>
/// Delivery (SPEC §12): a success asks for it in the same write, only the branch's host claims it, every write is
/// fenced by the claim's epoch, a lapsed claim is taken over, and a failure never touches the job's own state.
/// </summary>
public abstract class DeliveryConformance : StoreConformanceBase
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    private static async Task<JobRecord> SucceedWithAsync(IJobStore store, DeliveryRequest ask, DateTimeOffset now)
    {
        await SubmitAsync(store, Spec("deliver me"), now);
        var claimed = await ClaimOneAsync(store, now);
        var result = await CompleteAsync(store, claimed, AttemptOutcome.Success(), now, new AttemptResult(ExitCode: 0, Branch: $"drover/{claimed.Id}", EngineRan: true, Deliver: ask));
        result.State.ShouldBe(JobState.Succeeded);
        return await GetAsync(store, claimed.Id);
    }

    private static Task<DeliveryClaim?> ClaimDeliveryAsync(IJobStore store, string host, DateTimeOffset now) =>
        store.DeliveryClaimAsync(new DeliveryClaimParams(host, now, Lease), Ct);

    [Fact]
    public async Task JobComplete_SuccessAskingForAPullRequest_LeavesItPendingForItsHostOnly()
    {
        var store = await NewStoreAsync();
        var job = await SucceedWithAsync(store, new DeliveryRequest("pr", "host-a"), At(1));

        var other = await ClaimDeliveryAsync(store, "host-b", At(2));
        var claim = await ClaimDeliveryAsync(store, "host-a", At(2));

        job.Delivery.ShouldBe(new DeliveryRecord("pending", "pr", null, null, 0, At(1)));
        other.ShouldBeNull("only the host holding the branch can push it");
        claim.ShouldNotBeNull();
        (claim.JobId, claim.Mode, claim.Try, claim.PullNumber).ShouldBe((job.Id, "pr", 1, null));
        (await ClaimDeliveryAsync(store, "host-a", At(3))).ShouldBeNull("a live claim is not claimed twice");
        (await EventTypesAsync(store, job.Id)).ShouldContain("delivery.pending");
    }

    [Fact]
    public async Task JobComplete_SuccessWithModeNone_RecordsNoDeliveryButLetsAnOperatorAskLater()
    {
        var store = await NewStoreAsync();
        var job = await SucceedWithAsync(store, new DeliveryRequest("none", "host-a"), At(1));

        var asked = await store.DeliveryRequeueAsync(new DeliveryRequeueParams(job.Id, At(5), "push"), Ct);

        job.Delivery.ShouldBeNull();
        asked.Delivery.ShouldBe(new DeliveryRecord("pending", "push", null, null, 0, At(5)));
        (await ClaimDeliveryAsync(store, "host-a", At(5)))!.Mode.ShouldBe("push");
    }

    [Fact]
    public async Task DeliveryUpdate_StaleEpochAfterTheLeaseLapsed_IsRefusedAndTheNewClaimWins()
    {
        var store = await NewStoreAsync();
        var job = await SucceedWithAsync(store, new DeliveryRequest("pr", "host-a"), At(1));
        var first = (await ClaimDeliveryAsync(store, "host-a", At(2)))!;
        (await store.DeliveryUpdateAsync(new DeliveryUpdateParams(job.Id, first.Epoch, At(3), "pending", PullNumber: 7, Url: "https://forge/pull/7"), Ct)).ShouldBeTrue();

        var second = (await ClaimDeliveryAsync(store, "host-a", At(2) + Lease))!;
        var stale = await store.DeliveryUpdateAsync(new DeliveryUpdateParams(job.Id, first.Epoch, At(200), "delivered"), Ct);
        var fresh = await store.DeliveryUpdateAsync(new DeliveryUpdateParams(job.Id, second.Epoch, At(201), "delivered"), Ct);

        (second.Try, second.PullNumber, second.Url).ShouldBe((2, 7L, "https://forge/pull/7"), "a retry updates the pull request the first try opened");
        stale.ShouldBeFalse();
        fresh.ShouldBeTrue();
        var done = await GetAsync(store, job.Id);
        (done.State, done.Delivery!.State, done.Delivery.Url, done.Delivery.NextAt).ShouldBe((JobState.Succeeded, "delivered", "https://forge/pull/7", null));
        (await EventTypesAsync(store, job.Id)).ShouldContain("delivery.delivered");
    }

    [Fact]
    public async Task DeliveryUpdate_TransientFailure_WaitsUntilNextAtAndThenFailsWithoutFailingTheJob()
    {
        var store = await NewStoreAsync();
        var job = await SucceedWithAsync(store, new DeliveryRequest("push", "host-a"), At(1));
        var claim = (await ClaimDeliveryAsync(store, "host-a", At(2)))!;
        await store.DeliveryUpdateAsync(new DeliveryUpdateParams(job.Id, claim.Epoch, At(3), "pending", Reason: "forge answered 502", NextAt: At(60)), Ct);

        var early = await ClaimDeliveryAsync(store, "host-a", At(30));
        var retry = (await ClaimDeliveryAsync(store, "host-a", At(60)))!;
        await store.DeliveryUpdateAsync(new DeliveryUpdateParams(job.Id, retry.Epoch, At(61), "failed", Reason: "push rejected: non-fast-forward"), Ct);

        early.ShouldBeNull("a retry waits for its time");
        retry.Try.ShouldBe(2);
        var failed = await GetAsync(store, job.Id);
        (failed.State, failed.Delivery!.State, failed.Delivery.Reason, failed.Delivery.Tries).ShouldBe((JobState.Succeeded, "failed", "push rejected: non-fast-forward", 2));
        (await ClaimDeliveryAsync(store, "host-a", At(1000))).ShouldBeNull();
        (await EventTypesAsync(store, job.Id)).ShouldContain("delivery.retrying");
    }

    [Fact]
    public async Task JobComplete_FinalVerifyFailureWithDraftOnFailure_AsksForADraft()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store, Spec("fails verify", retry: RetryPolicy.Default with { MaxAttempts = 1 }), At(1));
        var claimed = await ClaimOneAsync(store, At(1));

        await CompleteAsync(store, claimed, AttemptOutcome.Failure(FailureClass.VerifyFailed, "tests failed"), At(2),
            new AttemptResult(ExitCode: 0, EngineRan: true, Deliver: new DeliveryRequest("pr", "host-a", DraftOnVerifyFailure: true)));

        var job = await GetAsync(store, claimed.Id);
        (job.State, job.Delivery?.State, job.Delivery?.Mode).ShouldBe((JobState.Failed, "pending", "pr_draft"));
    }

    [Fact]
    public async Task DeliveryRequeue_PendingDeliveredOrFailedJob_SaysWhy()
    {
        var store = await NewStoreAsync();
        var pending = await SucceedWithAsync(store, new DeliveryRequest("pr", "host-a"), At(1));
        await SubmitAsync(store, Spec("fails"), At(1));
        var failing = await ClaimOneAsync(store, At(1));
        await FailAsync(store, failing, FailureClass.Crash, At(1));

        var inProgress = await Should.ThrowAsync<ConflictException>(() => store.DeliveryRequeueAsync(new DeliveryRequeueParams(pending.Id, At(2), null), Ct));
        var notSucceeded = await Should.ThrowAsync<ConflictException>(() => store.DeliveryRequeueAsync(new DeliveryRequeueParams(failing.Id, At(2), "push"), Ct));
        await Should.ThrowAsync<NotFoundException>(() => store.DeliveryRequeueAsync(new DeliveryRequeueParams(9999, At(2), null), Ct));

        inProgress.Message.ShouldContain("in progress");
        notSucceeded.Message.ShouldContain("only a succeeded job");
    }

    [Fact]
    public async Task DeliveryClaim_ReleaseHeldAtAWorkerStart_TakesOverADeadProcesssClaimAtOnce()
    {
        var store = await NewStoreAsync();
        var job = await SucceedWithAsync(store, new DeliveryRequest("pr", "host-a"), At(1));
        var dead = (await ClaimDeliveryAsync(store, "host-a", At(2)))!;

        var blocked = await ClaimDeliveryAsync(store, "host-a", At(3));
        var restarted = await store.DeliveryClaimAsync(new DeliveryClaimParams("host-a", At(3), Lease, ReleaseHeld: true), Ct);

        blocked.ShouldBeNull();
        restarted.ShouldNotBeNull();
        restarted.Epoch.ShouldBeGreaterThan(dead.Epoch);
        (await store.DeliveryUpdateAsync(new DeliveryUpdateParams(job.Id, dead.Epoch, At(4), "delivered"), Ct)).ShouldBeFalse("the dead claim is fenced off");
    }
}
