using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>At most one running job per lock key (SPEC §3 `lock`).</summary>
public abstract class LocksConformance : StoreConformanceBase
{
    [Fact]
    public async Task JobClaim_TwoJobsSameLockInOneBatch_ClaimsOne()
    {
        var store = await NewStoreAsync();
        var first = await SubmitAsync(store, Spec("a", lockKey: "repo:/x"));
        await SubmitAsync(store, Spec("b", lockKey: "repo:/x"));

        var claimed = await ClaimAsync(store, At(1), max: 5);

        claimed.ShouldHaveSingleItem().Id.ShouldBe(first.Id);
    }

    [Fact]
    public async Task JobClaim_LockHeldByRunningJob_SkipsJobUntilCompletion()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store, Spec("a", lockKey: "repo:/x"));
        var second = await SubmitAsync(store, Spec("b", lockKey: "repo:/x"));
        var running = await ClaimOneAsync(store, At(1), "w1");

        (await ClaimAsync(store, At(2), worker: "w2")).ShouldBeEmpty();
        await SucceedAsync(store, running, At(3));

        (await ClaimOneAsync(store, At(4), "w2")).Id.ShouldBe(second.Id);
    }

    [Fact]
    public async Task JobClaim_LockedJobAhead_ClaimsNextJobWithOtherLock()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store, Spec("a", priority: 90, lockKey: "L"));
        await SubmitAsync(store, Spec("b", priority: 80, lockKey: "L"));
        var other = await SubmitAsync(store, Spec("c", priority: 10, lockKey: "M"));
        await ClaimOneAsync(store, At(1));

        (await ClaimOneAsync(store, At(2))).Id.ShouldBe(other.Id);
    }

    [Fact]
    public async Task JobClaim_NoLock_RunsConcurrently()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store, Spec("a"));
        await SubmitAsync(store, Spec("b"));

        (await ClaimAsync(store, At(1), max: 2)).Count.ShouldBe(2);
    }

    [Fact]
    public async Task JobLockHolder_RunningJob_ReturnsItThenNullAfterFailure()
    {
        var store = await NewStoreAsync();
        var job = await SubmitAsync(store, Spec("a", lockKey: "L"));
        (await store.JobLockHolderAsync("L", Ct)).ShouldBeNull();
        var claimed = await ClaimOneAsync(store, At(1));

        (await store.JobLockHolderAsync("L", Ct)).ShouldBe(job.Id);
        await FailAsync(store, claimed, now: At(2));

        (await store.JobLockHolderAsync("L", Ct)).ShouldBeNull();
    }

    [Fact]
    public async Task JobClaim_SameLockAcrossInstancesRacing_OneRunning()
    {
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);
        for (var i = 0; i < 10; i++)
            await SubmitAsync(store, Spec($"j{i}", lockKey: "L"));

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Task.Run(() => (i % 2 == 0 ? store : other).JobClaimAsync(new JobClaimParams($"w{i}", At(1), Ttl, 3, ["engine:shell"]), Ct), Ct)));

        claims.Sum(c => c.Count).ShouldBe(1);
    }
}
