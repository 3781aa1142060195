using Drover.Core.Jobs;
using Drover.Core.Scheduling;
using Drover.Core.Specs;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>
/// Held verdicts (SPEC §5): a final failure the engine may have caused waits until the engine's health is known —
/// a trip or resume queues the job again, an attempt that shows the engine works or the hold limit fails it.
/// </summary>
public abstract class HeldVerdictConformance : StoreConformanceBase
{
    private static readonly RetryPolicy OneAttempt = RetryPolicy.Default with { MaxAttempts = 1 };

    private static Task<IReadOnlyList<JobRecord>> ClaimClaudeAsync(IJobStore store, DateTimeOffset now, int max = 1) =>
        ClaimAsync(store, now, max, capabilities: ["engine:claude"]);

    private static async Task<List<JobRecord>> SubmitClaudeAsync(IJobStore store, int count)
    {
        var jobs = new List<JobRecord>();
        for (var i = 0; i < count; i++)
            jobs.Add(await SubmitAsync(store, Spec($"c{i}", engine: "claude", retry: OneAttempt)));
        return jobs;
    }

    private static Task<JobCompleteResult> FailAuthAsync(IJobStore store, JobRecord job, DateTimeOffset now, string cls = FailureClass.Auth) =>
        CompleteAsync(store, job, AttemptOutcome.Failure(cls, "not logged in"), now, new AttemptResult(ExitCode: 1, EngineRan: true));

    /// <summary>Submits <paramref name="count"/> claude jobs and fails the first for auth at At(1), with the others queued.</summary>
    private static async Task<(List<JobRecord> Jobs, JobCompleteResult First)> HoldFirstAsync(IJobStore store, int count)
    {
        var jobs = await SubmitClaudeAsync(store, count);
        var first = (await ClaimClaudeAsync(store, At(1))).ShouldHaveSingleItem();
        first.Id.ShouldBe(jobs[0].Id);
        return (jobs, await FailAuthAsync(store, first, At(1)));
    }

    [Fact]
    public async Task JobComplete_FinalEngineFailureWithOtherJobsQueued_HoldsTheVerdict()
    {
        var store = await NewStoreAsync();
        var (jobs, first) = await HoldFirstAsync(store, 3);

        var held = await GetAsync(store, jobs[0].Id);
        var claimed = await ClaimClaudeAsync(store, At(2), max: 3);

        first.State.ShouldBe(JobState.Queued);
        (held.State, held.Class, held.Reason, held.Failures).ShouldBe((JobState.Queued, FailureClass.Auth, "not logged in", 1));
        held.HeldUntil.ShouldBe(At(1) + EngineBreaker.HoldLimit);
        claimed.Select(j => j.Id).ShouldBe([jobs[1].Id, jobs[2].Id], "a held job is never claimed");
        var types = await EventTypesAsync(store, held.Id);
        types.ShouldContain("job.verdict_held");
        types.ShouldNotContain("job.failed");
    }

    [Fact]
    public async Task JobComplete_NoOtherJobOfTheEngineQueuedOrRunning_FailsAtOnce()
    {
        var store = await NewStoreAsync();
        var job = (await SubmitClaudeAsync(store, 1))[0];
        await SubmitAsync(store, Spec("shell job", retry: OneAttempt)); // another engine's job shows nothing about claude

        var result = await FailAuthAsync(store, (await ClaimClaudeAsync(store, At(1))).ShouldHaveSingleItem(), At(1));

        result.State.ShouldBe(JobState.Failed);
        (await GetAsync(store, job.Id)).HeldUntil.ShouldBeNull();
        (await EventTypesAsync(store, job.Id)).ShouldContain("job.failed");
    }

    [Fact]
    public async Task JobComplete_OnlyItsOwnDependentQueued_FailsAtOnce()
    {
        var store = await NewStoreAsync();
        var job = (await SubmitClaudeAsync(store, 1))[0];
        var child = await SubmitAsync(store, Spec("child", engine: "claude", after: [job.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]));

        var result = await FailAuthAsync(store, (await ClaimClaudeAsync(store, At(1))).ShouldHaveSingleItem(), At(1));

        result.State.ShouldBe(JobState.Failed, "its dependent cannot run before it, so it cannot show the engine works");
        (await GetAsync(store, child.Id)).Class.ShouldBe(FailureClass.DepFailed);
    }

    [Fact]
    public async Task JobComplete_BreakerTrips_HeldJobsQueueAgainWithTheirRetriesBack()
    {
        var store = await NewStoreAsync();
        var jobs = await SubmitClaudeAsync(store, 6);
        for (var i = 0; i < 4; i++)
            await FailAuthAsync(store, (await ClaimClaudeAsync(store, At(1 + i))).ShouldHaveSingleItem(), At(1 + i));

        var all = (await store.JobListAsync(new JobListParams(), Ct)).Jobs;
        var events = await EventsAsync(store);

        all.Count.ShouldBe(6);
        all.ShouldAllBe(j => j.State == JobState.Queued && j.HeldUntil == null && j.Failures == 0);
        events.Count(e => e.Type == "job.verdict_held").ShouldBe(3);
        events.ShouldNotContain(e => e.Type == "job.failed");
        events.Where(e => e.Type == "job.released").Select(e => e.JobId).ShouldBe([jobs[0].Id, jobs[1].Id, jobs[2].Id, jobs[3].Id], ignoreOrder: true);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task JobComplete_EngineWorksForAnotherJob_HeldJobFailsWithItsOwnClass(bool succeeded)
    {
        var store = await NewStoreAsync();
        var (jobs, _) = await HoldFirstAsync(store, 3);
        var other = (await ClaimClaudeAsync(store, At(2))).ShouldHaveSingleItem();

        if (succeeded)
            await SucceedAsync(store, other, At(3));
        else
            await FailAuthAsync(store, other, At(3), FailureClass.VerifyFailed); // the job's own fault: the engine ran fine

        var held = await GetAsync(store, jobs[0].Id);
        (held.State, held.Class, held.Reason, held.HeldUntil).ShouldBe((JobState.Failed, FailureClass.Auth, "not logged in", (DateTimeOffset?)null));
        var failed = (await EventsAsync(store, held.Id)).Last();
        failed.Type.ShouldBe("job.failed");
        failed.DataJson.ShouldContain("\"class\":\"auth\"");
    }

    [Fact]
    public async Task JobHeldExpire_HoldLimitPassed_FailsTheUndecidedJob()
    {
        var store = await NewStoreAsync();
        var (jobs, _) = await HoldFirstAsync(store, 2);

        var early = await store.JobHeldExpireAsync(new JobHeldExpireParams(At(1) + EngineBreaker.HoldLimit - TimeSpan.FromSeconds(1)), Ct);
        var due = await store.JobHeldExpireAsync(new JobHeldExpireParams(At(1) + EngineBreaker.HoldLimit), Ct);

        early.ShouldBeEmpty();
        due.ShouldBe([jobs[0].Id]);
        var job = await GetAsync(store, jobs[0].Id);
        (job.State, job.Class, job.HeldUntil).ShouldBe((JobState.Failed, FailureClass.Auth, (DateTimeOffset?)null));
        (await EventTypesAsync(store, job.Id)).Last().ShouldBe("job.failed");
        (await GetAsync(store, jobs[1].Id)).State.ShouldBe(JobState.Queued);
    }

    [Fact]
    public async Task JobCancel_HeldJob_CancelsItAndRetryQueuesItClaimable()
    {
        var store = await NewStoreAsync();
        var (jobs, _) = await HoldFirstAsync(store, 2);

        var cancelled = await store.JobCancelAsync(new JobCancelParams(jobs[0].Id, At(2)), Ct);
        var retried = await store.JobRetryAsync(new JobRetryParams(jobs[0].Id, At(3)), Ct);
        var claimed = await ClaimClaudeAsync(store, At(4), max: 2);

        cancelled.State.ShouldBe(JobState.Cancelled);
        (retried.State, retried.HeldUntil).ShouldBe((JobState.Queued, (DateTimeOffset?)null));
        claimed.Select(j => j.Id).ShouldContain(jobs[0].Id);
    }

    [Fact]
    public async Task EngineResume_HeldJobs_QueueAgainWithTheirRetriesBack()
    {
        var store = await NewStoreAsync();
        var (jobs, _) = await HoldFirstAsync(store, 2);

        var resumed = await store.EngineResumeAsync(new EngineResumeParams("claude", At(2)), Ct);
        var job = await GetAsync(store, jobs[0].Id);
        var claimed = await ClaimClaudeAsync(store, At(3), max: 2);

        resumed.ShouldBeTrue("the resume released a held job");
        (job.State, job.HeldUntil, job.Failures).ShouldBe((JobState.Queued, (DateTimeOffset?)null, 0));
        claimed.Select(j => j.Id).ShouldContain(jobs[0].Id);
    }
}
