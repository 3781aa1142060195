using Drover.Core;
using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>Submitting jobs and idempotency by key (SPEC §5).</summary>
public abstract class InsertConformance : StoreConformanceBase
{
    [Fact]
    public async Task JobInsert_NewSpec_CreatesQueuedJobWithSpecFields()
    {
        var store = await NewStoreAsync();
        var spec = Spec("build it", priority: 80, key: "k1", lockKey: "repo:/tmp/repo", capabilities: ["os:linux"],
            labels: new Dictionary<string, string> { ["team"] = "core" },
            retry: RetryPolicy.Default with { MaxAttempts = 5 });
        var p = InsertParams(spec, At(1));

        var result = await store.JobInsertAsync(p, Ct);

        result.Outcome.ShouldBe(InsertOutcome.Created);
        var job = await GetAsync(store, result.Job.Id);
        job.Id.ShouldBe(result.Job.Id);
        job.State.ShouldBe(JobState.Queued);
        job.Title.ShouldBe("build it");
        job.Priority.ShouldBe(80);
        job.Engine.ShouldBe("shell");
        job.Key.ShouldBe("k1");
        job.LockKey.ShouldBe("repo:/tmp/repo");
        job.MaxAttempts.ShouldBe(5);
        job.Attempt.ShouldBe(0);
        job.Epoch.ShouldBe(0);
        job.Capabilities.ShouldBe(["os:linux"]);
        job.Labels["team"].ShouldBe("core");
        job.SpecJson.ShouldBe(p.SpecJson);
        job.SpecHash.ShouldBe(p.SpecHash);
        job.CreatedAt.ShouldBe(At(1));
        job.NextEligibleAt.ShouldBe(At(1));
        job.Usage.ShouldBe(UsageRecord.Empty);
        JobSpecJson.Deserialize(job.SpecJson).Title.ShouldBe("build it");
    }

    [Fact]
    public async Task JobInsert_TwoJobs_GetIncreasingIds()
    {
        var store = await NewStoreAsync();

        var a = await SubmitAsync(store, "a");
        var b = await SubmitAsync(store, "b");

        b.Id.ShouldBeGreaterThan(a.Id);
    }

    [Fact]
    public async Task JobInsert_NoLock_HasNullLockKey()
    {
        var store = await NewStoreAsync();

        var job = await SubmitAsync(store, Spec("free"));

        job.LockKey.ShouldBeNull();
    }

    [Fact]
    public async Task JobInsert_SameKeySameSpec_ReturnsExistingWithoutWriting()
    {
        var store = await NewStoreAsync();
        var first = await store.JobInsertAsync(InsertParams(Spec("a", key: "k"), T0), Ct);

        var second = await store.JobInsertAsync(InsertParams(Spec("a", key: "k"), At(5)), Ct);

        second.Outcome.ShouldBe(InsertOutcome.Existing);
        second.Job.Id.ShouldBe(first.Job.Id);
        second.Job.CreatedAt.ShouldBe(T0);
        (await EventTypesAsync(store)).ShouldBe(["job.submitted"]);
    }

    [Fact]
    public async Task JobInsert_SameKeyDifferentSpecWhileQueued_SupersedesSpec()
    {
        var store = await NewStoreAsync();
        var first = await SubmitAsync(store, Spec("old", key: "k", priority: 10));

        var p = InsertParams(Spec("new", key: "k", priority: 90), At(5));
        var second = await store.JobInsertAsync(p, Ct);

        second.Outcome.ShouldBe(InsertOutcome.Superseded);
        second.Job.Id.ShouldBe(first.Id);
        var job = await GetAsync(store, first.Id);
        job.Title.ShouldBe("new");
        job.Priority.ShouldBe(90);
        job.SpecHash.ShouldBe(p.SpecHash);
        job.State.ShouldBe(JobState.Queued);
        (await EventTypesAsync(store, first.Id)).ShouldBe(["job.submitted", "job.superseded"]);
    }

    [Fact]
    public async Task JobInsert_SameKeyDifferentSpecWhileRunning_ThrowsConflictWithIdAndState()
    {
        var store = await NewStoreAsync();
        var first = await SubmitAsync(store, Spec("old", key: "k"));
        await ClaimOneAsync(store);

        var ex = await Should.ThrowAsync<ConflictException>(() => store.JobInsertAsync(InsertParams(Spec("new", key: "k"), At(1)), Ct));

        ex.JobId.ShouldBe(first.Id);
        ex.State.ShouldBe("running");
        (await GetAsync(store, first.Id)).Title.ShouldBe("old");
    }

    [Fact]
    public async Task JobInsert_SameKeyDifferentSpecAfterSuccess_ThrowsConflict()
    {
        var store = await NewStoreAsync();
        var first = await SubmitAsync(store, Spec("old", key: "k"));
        await SucceedAsync(store, await ClaimOneAsync(store));

        var ex = await Should.ThrowAsync<ConflictException>(() => store.JobInsertAsync(InsertParams(Spec("new", key: "k"), At(1)), Ct));

        ex.JobId.ShouldBe(first.Id);
        ex.State.ShouldBe("succeeded");
    }

    [Fact]
    public async Task JobInsert_SameKeySameSpecAfterSuccess_ReturnsExisting()
    {
        var store = await NewStoreAsync();
        var first = await SubmitAsync(store, Spec("a", key: "k"));
        await SucceedAsync(store, await ClaimOneAsync(store));

        var again = await store.JobInsertAsync(InsertParams(Spec("a", key: "k"), At(1)), Ct);

        again.Outcome.ShouldBe(InsertOutcome.Existing);
        again.Job.Id.ShouldBe(first.Id);
        again.Job.State.ShouldBe(JobState.Succeeded);
    }

    [Fact]
    public async Task JobInsert_ConcurrentSameKeyAcrossInstances_CreatesOneJob()
    {
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            Task.Run(() => (i % 2 == 0 ? store : other).JobInsertAsync(InsertParams(Spec("a", key: "race"), T0), Ct), Ct)));

        results.Select(r => r.Job.Id).Distinct().Count().ShouldBe(1);
        results.Count(r => r.Outcome == InsertOutcome.Created).ShouldBe(1);
        (await store.JobCountsAsync(Ct))[JobState.Queued].ShouldBe(1);
    }

    [Fact]
    public async Task JobGet_UnknownId_ReturnsNull()
    {
        var store = await NewStoreAsync();

        (await store.JobGetAsync(12345, Ct)).ShouldBeNull();
        (await store.JobGetByKeyAsync("nope", Ct)).ShouldBeNull();
    }

    [Fact]
    public async Task JobGetByKey_ExistingKey_ReturnsJob()
    {
        var store = await NewStoreAsync();
        var job = await SubmitAsync(store, Spec("a", key: "the-key"));

        var found = await store.JobGetByKeyAsync("the-key", Ct);

        found.ShouldNotBeNull().Id.ShouldBe(job.Id);
    }
}
