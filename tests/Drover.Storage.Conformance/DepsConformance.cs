using Drover.Core;
using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>Dependencies (`after`): hard and soft, dep_failed propagation, unknown deps, cycles.</summary>
public abstract class DepsConformance : StoreConformanceBase
{
    [Fact]
    public async Task JobClaim_HardDepNotSucceeded_WaitsUntilDepSucceeds()
    {
        var store = await NewStoreAsync();
        var dep = await SubmitAsync(store, "dep", priority: 10);
        var child = await SubmitAsync(store, Spec("child", priority: 90, after: [dep.Id.ToString()]));

        var first = await ClaimOneAsync(store, At(1));
        first.Id.ShouldBe(dep.Id);
        (await ClaimAsync(store, At(2))).ShouldBeEmpty();
        await SucceedAsync(store, first, At(3));

        (await ClaimOneAsync(store, At(4))).Id.ShouldBe(child.Id);
        child.After.ShouldBe([dep.Id]);
    }

    [Fact]
    public async Task JobInsert_AfterByKey_ResolvesToId()
    {
        var store = await NewStoreAsync();
        var dep = await SubmitAsync(store, Spec("dep", key: "build-1"));

        var child = await SubmitAsync(store, Spec("child", after: ["build-1"]));

        child.After.ShouldBe([dep.Id]);
    }

    [Fact]
    public async Task JobInsert_UnknownDep_ThrowsJobSpecExceptionAndWritesNothing()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store, "existing");

        var ex = await Should.ThrowAsync<JobSpecException>(() => SubmitAsync(store, Spec("child", key: "c", after: ["no-such-key"])));
        await Should.ThrowAsync<JobSpecException>(() => SubmitAsync(store, Spec("child2", after: ["999999"])));

        ex.Field.ShouldBe("after");
        (await store.JobGetByKeyAsync("c", Ct)).ShouldBeNull();
        (await store.JobCountsAsync(Ct))[JobState.Queued].ShouldBe(1);
        (await EventTypesAsync(store)).ShouldBe(["job.submitted"]);
    }

    [Fact]
    public async Task JobComplete_HardDepFailsTerminally_DependentsFailTransitively()
    {
        var store = await NewStoreAsync();
        var a = await SubmitAsync(store, Spec("a", retry: RetryPolicy.Default with { MaxAttempts = 1 }));
        var b = await SubmitAsync(store, Spec("b", after: [a.Id.ToString()]));
        var c = await SubmitAsync(store, Spec("c", after: [b.Id.ToString()]));

        await FailAsync(store, await ClaimOneAsync(store, At(1)), now: At(2));

        foreach (var id in new[] { b.Id, c.Id })
        {
            var job = await GetAsync(store, id);
            job.State.ShouldBe(JobState.Failed);
            job.Class.ShouldBe(FailureClass.DepFailed);
            (await EventTypesAsync(store, id)).Last().ShouldBe("job.failed");
        }
    }

    [Fact]
    public async Task JobRetry_FailedDep_RequeuesItsDepFailedDependentsTransitively()
    {
        var store = await NewStoreAsync();
        var a = await SubmitAsync(store, Spec("a", priority: 90, retry: RetryPolicy.Default with { MaxAttempts = 1 }));
        var other = await SubmitAsync(store, Spec("other", priority: 10, retry: RetryPolicy.Default with { MaxAttempts = 1 }));
        var b = await SubmitAsync(store, Spec("b", after: [a.Id.ToString()]));
        var c = await SubmitAsync(store, Spec("c", after: [b.Id.ToString()]));
        var d = await SubmitAsync(store, Spec("d", after: [b.Id.ToString(), other.Id.ToString()]));
        await FailAsync(store, await ClaimOneAsync(store, At(1)), now: At(2));
        await FailAsync(store, await ClaimOneAsync(store, At(3)), now: At(4));
        (await GetAsync(store, d.Id)).Class.ShouldBe(FailureClass.DepFailed);

        await store.JobRetryAsync(new JobRetryParams(a.Id, At(5)), Ct);

        foreach (var id in new[] { b.Id, c.Id })
        {
            var job = await GetAsync(store, id);
            job.State.ShouldBe(JobState.Queued);
            job.Class.ShouldBeNull();
            (await EventTypesAsync(store, id)).Last().ShouldBe("job.requeued");
        }

        // d also waits on "other", which is still failed: it stays failed until that one is retried too.
        (await GetAsync(store, d.Id)).State.ShouldBe(JobState.Failed);
        await store.JobRetryAsync(new JobRetryParams(other.Id, At(6)), Ct);
        (await GetAsync(store, d.Id)).State.ShouldBe(JobState.Queued);

        // The chain runs in order again: a first, then b, then c.
        var first = await ClaimOneAsync(store, At(7));
        first.Id.ShouldBe(a.Id);
    }

    [Fact]
    public async Task JobComplete_DepFailsButRetries_DependentKeepsWaiting()
    {
        var store = await NewStoreAsync();
        var a = await SubmitAsync(store, "a");
        var b = await SubmitAsync(store, Spec("b", after: [a.Id.ToString()]));

        await FailAsync(store, await ClaimOneAsync(store, At(1)), now: At(2));

        (await GetAsync(store, b.Id)).State.ShouldBe(JobState.Queued);
    }

    [Fact]
    public async Task JobClaim_SoftDepRanEngineButFailed_DependentRuns()
    {
        var store = await NewStoreAsync();
        var a = await SubmitAsync(store, Spec("a", retry: RetryPolicy.Default with { MaxAttempts = 1 }));
        var b = await SubmitAsync(store, Spec("b", after: [a.Id.ToString()], depsMode: DepsMode.Soft));

        await FailAsync(store, await ClaimOneAsync(store, At(1)), FailureClass.VerifyFailed, At(2), engineRan: true);

        (await GetAsync(store, a.Id)).EngineDone.ShouldBeTrue();
        (await ClaimOneAsync(store, At(3))).Id.ShouldBe(b.Id);
    }

    [Fact]
    public async Task JobComplete_SoftDepFailedWithoutRunningEngine_DependentFails()
    {
        var store = await NewStoreAsync();
        var a = await SubmitAsync(store, Spec("a", retry: RetryPolicy.Default with { MaxAttempts = 1 }));
        var b = await SubmitAsync(store, Spec("b", after: [a.Id.ToString()], depsMode: DepsMode.Soft));

        await FailAsync(store, await ClaimOneAsync(store, At(1)), FailureClass.Infra, At(2), engineRan: false);

        var job = await GetAsync(store, b.Id);
        job.State.ShouldBe(JobState.Failed);
        job.Class.ShouldBe(FailureClass.DepFailed);
    }

    [Fact]
    public async Task JobCancel_DepCancelled_HardDependentsFail()
    {
        var store = await NewStoreAsync();
        var a = await SubmitAsync(store, "a");
        var b = await SubmitAsync(store, Spec("b", after: [a.Id.ToString()]));

        await store.JobCancelAsync(new JobCancelParams(a.Id, At(1)), Ct);

        (await GetAsync(store, b.Id)).Class.ShouldBe(FailureClass.DepFailed);
    }

    [Fact]
    public async Task JobInsert_DepAlreadyFailed_NewJobFailsWithDepFailed()
    {
        var store = await NewStoreAsync();
        var a = await SubmitAsync(store, "a");
        await store.JobCancelAsync(new JobCancelParams(a.Id, At(1)), Ct);

        var b = await SubmitAsync(store, Spec("b", after: [a.Id.ToString()]), At(2));

        b.State.ShouldBe(JobState.Failed);
        b.Class.ShouldBe(FailureClass.DepFailed);
    }

    [Fact]
    public async Task JobInsert_SupersedeCreatingCycle_ThrowsAndKeepsOldSpec()
    {
        var store = await NewStoreAsync();
        var a = await SubmitAsync(store, Spec("a", key: "a"));
        await SubmitAsync(store, Spec("b", key: "b", after: ["a"]));

        var ex = await Should.ThrowAsync<JobSpecException>(() => SubmitAsync(store, Spec("a2", key: "a", after: ["b"])));

        ex.Field.ShouldBe("after");
        var stored = await GetAsync(store, a.Id);
        stored.Title.ShouldBe("a");
        stored.After.ShouldBeEmpty();
    }

    [Fact]
    public async Task JobInsert_SupersedeDependingOnItself_Throws()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store, Spec("a", key: "a"));

        var ex = await Should.ThrowAsync<JobSpecException>(() => SubmitAsync(store, Spec("a2", key: "a", after: ["a"])));

        ex.Field.ShouldBe("after");
    }
}
