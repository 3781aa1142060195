using System.Collections.Concurrent;
using Drover.Core.Jobs;

namespace Drover.Storage.Conformance;

/// <summary>Claiming: order, batch, what a claim sets, and that racing claimers never share a job.</summary>
public abstract class ClaimConformance : StoreConformanceBase
{
    [Fact]
    public async Task JobClaim_EmptyQueue_ReturnsNothing()
    {
        var store = await NewStoreAsync();

        (await ClaimAsync(store, max: 5)).ShouldBeEmpty();
    }

    [Fact]
    public async Task JobClaim_MixedPriorities_HighestPriorityFirst()
    {
        var store = await NewStoreAsync();
        var low = await SubmitAsync(store, "low", 10);
        var high = await SubmitAsync(store, "high", 90);
        var mid = await SubmitAsync(store, "mid", 50);

        var claimed = await ClaimAsync(store, At(1), max: 3);

        claimed.Select(j => j.Id).ShouldBe([high.Id, mid.Id, low.Id]);
    }

    [Fact]
    public async Task JobClaim_SamePriority_OlderFirstThenLowerId()
    {
        var store = await NewStoreAsync();
        var newer = await SubmitAsync(store, "newer", now: At(2));
        var older = await SubmitAsync(store, "older", now: At(1));
        var olderTwin = await SubmitAsync(store, "older twin", now: At(1));

        var claimed = await ClaimAsync(store, At(3), max: 3);

        claimed.Select(j => j.Id).ShouldBe([older.Id, olderTwin.Id, newer.Id]);
    }

    [Fact]
    public async Task JobClaim_QueuedJob_SetsRunningWorkerEpochAttemptAndLease()
    {
        var store = await NewStoreAsync();
        var job = await SubmitAsync(store);

        var claimed = await ClaimOneAsync(store, At(10), "w7");

        claimed.Id.ShouldBe(job.Id);
        claimed.State.ShouldBe(JobState.Running);
        claimed.Worker.ShouldBe("w7");
        claimed.Epoch.ShouldBe(job.Epoch + 1);
        claimed.Attempt.ShouldBe(1);
        claimed.LeaseExpiresAt.ShouldBe(At(10) + Ttl);
        var stored = await GetAsync(store, job.Id);
        stored.State.ShouldBe(JobState.Running);
        stored.Epoch.ShouldBe(claimed.Epoch);
    }

    [Fact]
    public async Task JobClaim_QueuedJob_OpensAttemptRowAndEmitsEvent()
    {
        var store = await NewStoreAsync();
        var job = await SubmitAsync(store);

        var claimed = await ClaimOneAsync(store, At(10), "w7");

        var attempt = (await store.AttemptListAsync(job.Id, Ct)).ShouldHaveSingleItem();
        attempt.N.ShouldBe(1);
        attempt.Worker.ShouldBe("w7");
        attempt.Epoch.ShouldBe(claimed.Epoch);
        attempt.State.ShouldBe("running");
        attempt.StartedAt.ShouldBe(At(10));
        attempt.EndedAt.ShouldBeNull();
        var claimEvent = (await EventsAsync(store, job.Id)).Last();
        claimEvent.Type.ShouldBe("job.claimed");
        claimEvent.Worker.ShouldBe("w7");
        claimEvent.At.ShouldBe(At(10));
    }

    [Fact]
    public async Task JobClaim_RunningJob_IsNotClaimedAgain()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        await ClaimOneAsync(store);

        (await ClaimAsync(store, At(1), worker: "w2")).ShouldBeEmpty();
    }

    [Fact]
    public async Task JobClaim_NotYetEligible_IsSkipped()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store, now: At(60));

        (await ClaimAsync(store, At(59))).ShouldBeEmpty();
        (await ClaimAsync(store, At(60))).Count.ShouldBe(1);
    }

    [Fact]
    public async Task JobClaim_MaxBelowQueueLength_ClaimsExactlyMax()
    {
        var store = await NewStoreAsync();
        for (var i = 0; i < 5; i++)
            await SubmitAsync(store, $"j{i}");

        var claimed = await ClaimAsync(store, max: 3);

        claimed.Count.ShouldBe(3);
        (await store.JobCountsAsync(Ct))[JobState.Running].ShouldBe(3);
    }

    [Fact]
    public async Task JobClaim_EightConcurrentClaimers_LeaseEachJobOnce()
    {
        var store = await NewStoreAsync();
        await ClaimRaceAsync([store], claimers: 8, jobs: 500);
    }

    [Fact]
    public async Task JobClaim_TwoInstancesRacing_LeaseEachJobOnce()
    {
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);
        await ClaimRaceAsync([store, other], claimers: 8, jobs: 300);
    }

    private static async Task ClaimRaceAsync(IReadOnlyList<Drover.Core.Storage.IJobStore> stores, int claimers, int jobs)
    {
        for (var i = 0; i < jobs; i++)
            await SubmitAsync(stores[0], $"j{i}");

        var leased = new ConcurrentBag<long>();
        await Task.WhenAll(Enumerable.Range(0, claimers).Select(c => Task.Run(
            async () =>
            {
                var store = stores[c % stores.Count];
                while (true)
                {
                    var batch = await ClaimAsync(store, At(1), max: 1 + (c % 4), worker: $"w{c}");
                    if (batch.Count == 0)
                        return;
                    foreach (var job in batch)
                    {
                        leased.Add(job.Id);
                        (await SucceedAsync(store, job, At(2))).Applied.ShouldBeTrue();
                    }
                }
            },
            Ct)));

        leased.Count.ShouldBe(jobs);
        leased.Distinct().Count().ShouldBe(jobs);
        var counts = await stores[0].JobCountsAsync(Ct);
        counts[JobState.Succeeded].ShouldBe(jobs);
        counts[JobState.Queued].ShouldBe(0);
    }
}
