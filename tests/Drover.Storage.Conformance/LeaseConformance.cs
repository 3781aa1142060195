using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>Fencing (SPEC §6): a write with a stale epoch, or on a job no longer running, changes nothing.</summary>
public abstract class LeaseConformance : StoreConformanceBase
{
    [Fact]
    public async Task JobLeaseRenew_CurrentEpoch_ExtendsLease()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var job = await ClaimOneAsync(store, At(0));

        (await store.JobLeaseRenewAsync(new JobLeaseRenewParams(job.Id, job.Epoch, At(10), Ttl), Ct)).ShouldBeTrue();

        (await GetAsync(store, job.Id)).LeaseExpiresAt.ShouldBe(At(10) + Ttl);
    }

    [Fact]
    public async Task JobLeaseRenew_StaleEpoch_ReturnsFalseAndChangesNothing()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var job = await ClaimOneAsync(store, At(0));

        (await store.JobLeaseRenewAsync(new JobLeaseRenewParams(job.Id, job.Epoch - 1, At(10), Ttl), Ct)).ShouldBeFalse();

        (await GetAsync(store, job.Id)).LeaseExpiresAt.ShouldBe(At(0) + Ttl);
    }

    [Fact]
    public async Task JobProgress_CurrentEpoch_AppendsProgressEvent()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var job = await ClaimOneAsync(store);

        (await store.JobProgressAsync(new JobProgressParams(job.Id, job.Epoch, At(3), "halfway"), Ct)).ShouldBeTrue();

        var evt = (await EventsAsync(store, job.Id)).Last();
        evt.Type.ShouldBe("job.progress");
        evt.DataJson.ShouldContain("halfway");
    }

    [Fact]
    public async Task JobProgress_StaleEpoch_ReturnsFalseAndAppendsNothing()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var job = await ClaimOneAsync(store);
        var before = await EventsAsync(store);

        (await store.JobProgressAsync(new JobProgressParams(job.Id, job.Epoch + 1, At(3), "x"), Ct)).ShouldBeFalse();

        (await EventsAsync(store)).Count.ShouldBe(before.Count);
    }

    [Fact]
    public async Task JobComplete_StaleEpoch_NotAppliedAndNothingWritten()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var job = await ClaimOneAsync(store);
        var eventsBefore = await EventsAsync(store);

        var result = await store.JobCompleteAsync(
            new JobCompleteParams(job.Id, job.Epoch + 5, At(5), AttemptOutcome.Success(), new AttemptResult(ExitCode: 0), 0.5), Ct);

        result.Applied.ShouldBeFalse();
        var after = await GetAsync(store, job.Id);
        after.State.ShouldBe(JobState.Running);
        after.UpdatedAt.ShouldBe(job.UpdatedAt);
        (await EventsAsync(store)).Count.ShouldBe(eventsBefore.Count);
        (await store.AttemptListAsync(job.Id, Ct)).ShouldHaveSingleItem().EndedAt.ShouldBeNull();
    }

    [Fact]
    public async Task JobComplete_AfterRescueAndReclaim_OldEpochRejected()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var first = await ClaimOneAsync(store, At(0), "w1");
        await store.JobRescueExpiredAsync(new JobRescueParams(At(31), 0.5), Ct);
        var second = await ClaimOneAsync(store, At(3600), "w2");

        var late = await SucceedAsync(store, first, At(3601));
        var renew = await store.JobLeaseRenewAsync(new JobLeaseRenewParams(first.Id, first.Epoch, At(3601), Ttl), Ct);

        late.Applied.ShouldBeFalse();
        renew.ShouldBeFalse();
        second.Epoch.ShouldBeGreaterThan(first.Epoch);
        var job = await GetAsync(store, first.Id);
        job.State.ShouldBe(JobState.Running);
        job.Worker.ShouldBe("w2");
        (await SucceedAsync(store, second, At(3602))).Applied.ShouldBeTrue();
    }

    [Fact]
    public async Task JobComplete_SecondCompletionSameEpoch_NotApplied()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var job = await ClaimOneAsync(store);

        (await SucceedAsync(store, job, At(1))).Applied.ShouldBeTrue();
        var again = await FailAsync(store, job, now: At(2));

        again.Applied.ShouldBeFalse();
        (await GetAsync(store, job.Id)).State.ShouldBe(JobState.Succeeded);
    }

    [Fact]
    public async Task JobComplete_Success_SavesResultUsageAndClosesAttempt()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var job = await ClaimOneAsync(store, At(0));
        var usage = new UsageRecord(100, 10, 50, 0.25m, "reported", "m1") { CacheWriteTokens = 7, ReasoningTokens = 3 };
        var result = new AttemptResult(0, usage, "drover/1", "abc123", new DiffStats(2, 30, 4), "done", "tail", EngineRan: true);

        var r = await CompleteAsync(store, job, AttemptOutcome.Success(), At(9), result);

        r.ShouldBe(new JobCompleteResult(true, JobState.Succeeded));
        var stored = await GetAsync(store, job.Id);
        stored.State.ShouldBe(JobState.Succeeded);
        stored.Worker.ShouldBeNull();
        stored.LeaseExpiresAt.ShouldBeNull();
        stored.Branch.ShouldBe("drover/1");
        stored.Head.ShouldBe("abc123");
        stored.Diff.ShouldBe(new DiffStats(2, 30, 4));
        stored.Summary.ShouldBe("done");
        stored.Usage.ShouldBe(usage);
        stored.EngineDone.ShouldBeTrue();
        var attempt = (await store.AttemptListAsync(job.Id, Ct)).ShouldHaveSingleItem();
        attempt.State.ShouldBe("succeeded");
        attempt.ExitCode.ShouldBe(0);
        attempt.EndedAt.ShouldBe(At(9));
        attempt.Usage.ShouldBe(usage);
        attempt.Head.ShouldBe("abc123");
        attempt.LogTail.ShouldBe("tail");
        (await EventTypesAsync(store, job.Id)).Last().ShouldBe("job.succeeded");
    }

    [Fact]
    public async Task JobComplete_UsageOverTwoAttempts_AddsUpOnJob()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var first = await ClaimOneAsync(store, At(0));
        await CompleteAsync(store, first, AttemptOutcome.Failure(FailureClass.Crash, "x"), At(1),
            new AttemptResult(Usage: new UsageRecord(10, 0, 5, 0.10m, "reported", "m")));
        var second = await ClaimOneAsync(store, At(3600));
        await CompleteAsync(store, second, AttemptOutcome.Success(), At(3601),
            new AttemptResult(Usage: new UsageRecord(20, 1, 7, 0.15m, "reported", "m") { CacheWriteTokens = 4, ReasoningTokens = 2 }));

        var usage = (await GetAsync(store, first.Id)).Usage;

        usage.InputTokens.ShouldBe(30);
        usage.CachedInputTokens.ShouldBe(1);
        usage.OutputTokens.ShouldBe(12);
        usage.CacheWriteTokens.ShouldBe(4);
        usage.ReasoningTokens.ShouldBe(2);
        usage.CostUsd.ShouldBe(0.25m);
    }

    [Fact]
    public async Task JobComplete_RetryableFailure_RequeuesWithBackoff()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var job = await ClaimOneAsync(store, At(0));

        var r = await CompleteAsync(store, job, AttemptOutcome.Failure(FailureClass.Crash, "segfault"), At(5), jitter: 0.25);

        r.ShouldBe(new JobCompleteResult(true, JobState.Queued));
        var stored = await GetAsync(store, job.Id);
        stored.Failures.ShouldBe(1);
        stored.Class.ShouldBe(FailureClass.Crash);
        stored.Reason.ShouldBe("segfault");
        stored.Worker.ShouldBeNull();
        stored.NextEligibleAt.ShouldBe(At(5) + RetryPolicy.Default.DelayAfter(1, 0.25));
        (await ClaimAsync(store, stored.NextEligibleAt.AddMilliseconds(-1))).ShouldBeEmpty();
        (await ClaimAsync(store, stored.NextEligibleAt)).Count.ShouldBe(1);
        (await EventTypesAsync(store, job.Id)).ShouldContain("job.retrying");
        (await store.AttemptListAsync(job.Id, Ct))[0].State.ShouldBe("failed");
    }

    [Fact]
    public async Task JobComplete_ClassNotInRetryPolicy_FailsAtOnce()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var job = await ClaimOneAsync(store);

        var r = await FailAsync(store, job, FailureClass.VerifyFailed, At(1));

        r.State.ShouldBe(JobState.Failed);
        var stored = await GetAsync(store, job.Id);
        stored.Class.ShouldBe(FailureClass.VerifyFailed);
        stored.Failures.ShouldBe(1);
        (await EventTypesAsync(store, job.Id)).Last().ShouldBe("job.failed");
    }

    [Fact]
    public async Task JobComplete_FailuresReachMaxAttempts_Fails()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store, Spec(retry: RetryPolicy.Default with { MaxAttempts = 2 }));
        var first = await ClaimOneAsync(store, At(0));
        (await FailAsync(store, first, now: At(1))).State.ShouldBe(JobState.Queued);
        var second = await ClaimOneAsync(store, At(3600));

        var r = await FailAsync(store, second, now: At(3601));

        r.State.ShouldBe(JobState.Failed);
        var stored = await GetAsync(store, first.Id);
        stored.Failures.ShouldBe(2);
        stored.Attempt.ShouldBe(2);
        (await store.AttemptListAsync(first.Id, Ct)).Select(a => a.N).ShouldBe([1, 2]);
    }

    [Fact]
    public async Task JobComplete_BlockedOnQuestion_StoresQuestion()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var job = await ClaimOneAsync(store);

        var r = await CompleteAsync(store, job, AttemptOutcome.AwaitAnswer("which db?"), At(2));

        r.State.ShouldBe(JobState.Blocked);
        var stored = await GetAsync(store, job.Id);
        stored.BlockedOn.ShouldBe("question");
        stored.Question.ShouldBe("which db?");
        stored.Worker.ShouldBeNull();
        (await ClaimAsync(store, At(3))).ShouldBeEmpty();
        (await EventTypesAsync(store, job.Id)).Last().ShouldBe("job.blocked");
    }

    [Fact]
    public async Task JobComplete_Released_RequeuesWithoutCountingFailure()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var job = await ClaimOneAsync(store, At(0));

        var r = await CompleteAsync(store, job, AttemptOutcome.Release("shutdown"), At(4));

        r.State.ShouldBe(JobState.Queued);
        var stored = await GetAsync(store, job.Id);
        stored.Failures.ShouldBe(0);
        stored.NextEligibleAt.ShouldBe(At(4));
        (await store.AttemptListAsync(job.Id, Ct))[0].State.ShouldBe("released");
        (await EventTypesAsync(store, job.Id)).Last().ShouldBe("job.released");
        (await ClaimOneAsync(store, At(4))).Epoch.ShouldBe(job.Epoch + 1);
    }

    [Fact]
    public async Task JobComplete_SameAttemptCompletedTwiceAtOnce_AppliedOnceWithOneEvent()
    {
        // A worker's completion and the gateway's (budget) completion of the same attempt can race: one applies.
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);
        for (var round = 0; round < 10; round++)
        {
            var job = await SubmitAsync(store, $"j{round}");
            var claimed = await ClaimOneAsync(store, At(1));

            var results = await Task.WhenAll(
                Task.Run(() => SucceedAsync(store, claimed, At(2)), Ct),
                Task.Run(() => FailAsync(other, claimed, FailureClass.BudgetExhausted, At(2)), Ct));

            results.Count(r => r.Applied).ShouldBe(1);
            var ends = (await EventsAsync(store, job.Id)).Count(e => e.Type is "job.succeeded" or "job.failed" or "job.retrying");
            ends.ShouldBe(1);
            (await store.AttemptListAsync(job.Id, Ct)).Count(a => a.EndedAt is not null).ShouldBe(1);
        }
    }
}
