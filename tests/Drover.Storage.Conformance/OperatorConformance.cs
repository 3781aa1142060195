using Drover.Core;
using Drover.Core.Jobs;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>Operator actions: cancel, retry, answer, approve, and their conflicts.</summary>
public abstract class OperatorConformance : StoreConformanceBase
{
    [Fact]
    public async Task JobCancel_QueuedJob_CancelledWithEvent()
    {
        var store = await NewStoreAsync();
        var job = await SubmitAsync(store);

        var cancelled = await store.JobCancelAsync(new JobCancelParams(job.Id, At(1), "not needed"), Ct);

        cancelled.State.ShouldBe(JobState.Cancelled);
        cancelled.Reason.ShouldBe("not needed");
        (await EventTypesAsync(store, job.Id)).Last().ShouldBe("job.cancelled");
        (await ClaimAsync(store, At(2))).ShouldBeEmpty();
    }

    [Fact]
    public async Task JobCancel_RunningJob_WorkerLeaseGone()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var claimed = await ClaimOneAsync(store, At(1));

        await store.JobCancelAsync(new JobCancelParams(claimed.Id, At(2)), Ct);

        (await store.JobLeaseRenewAsync(new JobLeaseRenewParams(claimed.Id, claimed.Epoch, At(3), Ttl), Ct)).ShouldBeFalse();
        (await SucceedAsync(store, claimed, At(3))).Applied.ShouldBeFalse();
        (await GetAsync(store, claimed.Id)).State.ShouldBe(JobState.Cancelled);
        (await store.AttemptListAsync(claimed.Id, Ct)).Single().State.ShouldBe("cancelled");
    }

    [Fact]
    public async Task JobCancel_TerminalJob_ThrowsConflict()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var claimed = await ClaimOneAsync(store);
        await SucceedAsync(store, claimed, At(1));

        var ex = await Should.ThrowAsync<ConflictException>(() => store.JobCancelAsync(new JobCancelParams(claimed.Id, At(2)), Ct));

        ex.JobId.ShouldBe(claimed.Id);
        ex.State.ShouldBe("succeeded");
    }

    [Fact]
    public async Task JobCancel_UnknownJob_ThrowsNotFound()
    {
        var store = await NewStoreAsync();

        await Should.ThrowAsync<NotFoundException>(() => store.JobCancelAsync(new JobCancelParams(424242, At(1)), Ct));
    }

    [Fact]
    public async Task JobRetry_FailedJob_QueuedWithFailuresReset()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var claimed = await ClaimOneAsync(store);
        await FailAsync(store, claimed, FailureClass.VerifyFailed, At(1));

        var retried = await store.JobRetryAsync(new JobRetryParams(claimed.Id, At(2)), Ct);

        retried.State.ShouldBe(JobState.Queued);
        retried.Failures.ShouldBe(0);
        retried.Class.ShouldBe(FailureClass.VerifyFailed);
        retried.NextEligibleAt.ShouldBe(At(2));
        (await EventTypesAsync(store, claimed.Id)).Last().ShouldBe("job.requeued");
        (await ClaimOneAsync(store, At(2))).Attempt.ShouldBe(2);
    }

    [Fact]
    public async Task JobRetry_CancelledJob_Queued()
    {
        var store = await NewStoreAsync();
        var job = await SubmitAsync(store);
        await store.JobCancelAsync(new JobCancelParams(job.Id, At(1)), Ct);

        (await store.JobRetryAsync(new JobRetryParams(job.Id, At(2)), Ct)).State.ShouldBe(JobState.Queued);
    }

    [Fact]
    public async Task JobRetry_QueuedJob_ThrowsConflict()
    {
        var store = await NewStoreAsync();
        var job = await SubmitAsync(store);

        var ex = await Should.ThrowAsync<ConflictException>(() => store.JobRetryAsync(new JobRetryParams(job.Id, At(1)), Ct));

        ex.State.ShouldBe("queued");
    }

    [Fact]
    public async Task JobAnswer_BlockedOnQuestion_QueuedWithAnswerAppended()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var claimed = await ClaimOneAsync(store);
        await CompleteAsync(store, claimed, AttemptOutcome.AwaitAnswer("which db?"), At(1));

        var answered = await store.JobAnswerAsync(new JobAnswerParams(claimed.Id, "postgres", At(2)), Ct);

        answered.State.ShouldBe(JobState.Queued);
        answered.Answers.ShouldBe(["postgres"]);
        answered.BlockedOn.ShouldBeNull();
        (await EventTypesAsync(store, claimed.Id)).Last().ShouldBe("job.answered");
        (await ClaimOneAsync(store, At(2))).Answers.ShouldBe(["postgres"]);
    }

    [Fact]
    public async Task JobAnswer_NotBlocked_ThrowsConflict()
    {
        var store = await NewStoreAsync();
        var job = await SubmitAsync(store);

        await Should.ThrowAsync<ConflictException>(() => store.JobAnswerAsync(new JobAnswerParams(job.Id, "x", At(1)), Ct));
    }

    [Fact]
    public async Task JobApprove_BlockedOnApproval_Succeeded()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var claimed = await ClaimOneAsync(store);
        await CompleteAsync(store, claimed, AttemptOutcome.AwaitApproval(), At(1));

        var approved = await store.JobApproveAsync(new JobApproveParams(claimed.Id, true, At(2)), Ct);

        approved.State.ShouldBe(JobState.Succeeded);
        (await EventTypesAsync(store, claimed.Id)).Last().ShouldBe("job.approved");
    }

    [Fact]
    public async Task JobApprove_Rejected_FailedWithReason()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var claimed = await ClaimOneAsync(store);
        await CompleteAsync(store, claimed, AttemptOutcome.AwaitApproval(), At(1));

        var rejected = await store.JobApproveAsync(new JobApproveParams(claimed.Id, false, At(2), "wrong approach"), Ct);

        rejected.State.ShouldBe(JobState.Failed);
        rejected.Class.ShouldBe(FailureClass.Rejected);
        rejected.Reason.ShouldBe("rejected: wrong approach");
        (await EventTypesAsync(store, claimed.Id)).Last().ShouldBe("job.rejected");
    }

    [Fact]
    public async Task JobApprove_BlockedOnQuestion_ThrowsConflict()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var claimed = await ClaimOneAsync(store);
        await CompleteAsync(store, claimed, AttemptOutcome.AwaitAnswer("?"), At(1));

        var ex = await Should.ThrowAsync<ConflictException>(() => store.JobApproveAsync(new JobApproveParams(claimed.Id, true, At(2)), Ct));

        ex.State.ShouldBe("blocked");
    }
}
