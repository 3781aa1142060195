using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>The reaper: expired leases become failed attempts of class lost (SPEC §6).</summary>
public abstract class RescueConformance : StoreConformanceBase
{
    [Fact]
    public async Task JobRescueExpired_ExpiredLease_RequeuesAtOnceClassLost()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var job = await ClaimOneAsync(store, At(0));

        var rescued = await store.JobRescueExpiredAsync(new JobRescueParams(At(31), 0.0), Ct);

        rescued.ShouldBe([job.Id]);
        var stored = await GetAsync(store, job.Id);
        stored.State.ShouldBe(JobState.Queued);
        stored.Class.ShouldBe(FailureClass.Lost);
        stored.Failures.ShouldBe(1);
        stored.Worker.ShouldBeNull();
        stored.NextEligibleAt.ShouldBe(At(31)); // no backoff: the worker failed, not the job
        (await store.AttemptListAsync(job.Id, Ct)).ShouldHaveSingleItem().State.ShouldBe("lost");
        var types = await EventTypesAsync(store, job.Id);
        types.ShouldContain("job.lost");
        types.Last().ShouldBe("job.retrying");
    }

    [Fact]
    public async Task JobRescueExpired_LeaseNotExpired_LeavesJobRunning()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var job = await ClaimOneAsync(store, At(0));

        (await store.JobRescueExpiredAsync(new JobRescueParams(At(30), 0.5), Ct)).ShouldBeEmpty();

        (await GetAsync(store, job.Id)).State.ShouldBe(JobState.Running);
    }

    [Fact]
    public async Task JobRescueExpired_RenewedLease_NotRescued()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var job = await ClaimOneAsync(store, At(0));
        await store.JobLeaseRenewAsync(new JobLeaseRenewParams(job.Id, job.Epoch, At(20), Ttl), Ct);

        (await store.JobRescueExpiredAsync(new JobRescueParams(At(40), 0.5), Ct)).ShouldBeEmpty();
        (await store.JobRescueExpiredAsync(new JobRescueParams(At(51), 0.5), Ct)).ShouldBe([job.Id]);
    }

    [Fact]
    public async Task JobRescueExpired_AttemptsExhausted_FailsJob()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store, Spec(retry: RetryPolicy.Default with { MaxAttempts = 1 }));
        var job = await ClaimOneAsync(store, At(0));

        await store.JobRescueExpiredAsync(new JobRescueParams(At(31), 0.5), Ct);

        var stored = await GetAsync(store, job.Id);
        stored.State.ShouldBe(JobState.Failed);
        stored.Class.ShouldBe(FailureClass.Lost);
        (await EventTypesAsync(store, job.Id)).Last().ShouldBe("job.failed");
    }

    [Fact]
    public async Task JobRescueExpired_LostNotInRetryPolicy_FailsJob()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store, Spec(retry: RetryPolicy.Default with { On = [FailureClass.Crash] }));
        var job = await ClaimOneAsync(store, At(0));

        await store.JobRescueExpiredAsync(new JobRescueParams(At(31), 0.5), Ct);

        (await GetAsync(store, job.Id)).State.ShouldBe(JobState.Failed);
    }

    [Fact]
    public async Task JobRescueExpired_ConcurrentReapers_RescueEachJobOnce()
    {
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);
        for (var i = 0; i < 20; i++)
            await SubmitAsync(store, $"j{i}");
        await ClaimAsync(store, At(0), max: 20);

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            Task.Run(() => (i % 2 == 0 ? store : other).JobRescueExpiredAsync(new JobRescueParams(At(31), 0.5), Ct), Ct)));

        results.SelectMany(r => r).Count().ShouldBe(20);
        var page = await store.JobListAsync(new JobListParams(Limit: 100), Ct);
        page.Jobs.ShouldAllBe(j => j.Failures == 1 && j.State == JobState.Queued);
    }

    [Fact]
    public async Task JobFailWithoutEngine_OnlyLongWaitingJobsOfMissingEngines_FailWithTheirDependents()
    {
        var store = await NewStoreAsync();
        var stranded = await SubmitAsync(store, Spec("gemini job", engine: "gemini"), At(0));
        var child = await SubmitAsync(store, Spec("after it", after: [stranded.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]), At(0));
        var young = await SubmitAsync(store, Spec("young gemini job", engine: "gemini"), At(3000));
        var served = await SubmitAsync(store, Spec("claude job", engine: "claude"), At(0));
        var engines = new HashSet<string>(["shell", "claude"], StringComparer.Ordinal);

        var failed = await store.JobFailWithoutEngineAsync(new JobNoEngineParams(engines, At(3600), TimeSpan.FromMinutes(30)), Ct);

        failed.ShouldBe([stranded.Id]);
        var job = await GetAsync(store, stranded.Id);
        job.State.ShouldBe(JobState.Failed);
        job.Class.ShouldBe(FailureClass.NoEngine);
        job.Reason.ShouldBe("no live worker has engine gemini (waited 30m)");
        (await GetAsync(store, child.Id)).Class.ShouldBe(FailureClass.DepFailed);
        (await GetAsync(store, young.Id)).State.ShouldBe(JobState.Queued, "it has not waited 30 minutes yet");
        (await GetAsync(store, served.Id)).State.ShouldBe(JobState.Queued, "a live worker has claude");
        (await EventTypesAsync(store, stranded.Id)).Last().ShouldBe("job.failed");

        (await store.JobFailWithoutEngineAsync(new JobNoEngineParams(engines, At(3600), TimeSpan.FromMinutes(30)), Ct)).ShouldBeEmpty("a failed job is not failed twice");
    }
}
