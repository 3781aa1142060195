using System.Collections.Concurrent;
using Drover.Core.Jobs;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary><c>[fleet] max_running</c>: stored in the fleet row, enforced inside every claim's transaction.</summary>
public abstract class MaxRunningConformance : StoreConformanceBase
{
    [Fact]
    public async Task JobClaim_MaxRunningReached_ClaimsNothingUntilOneEnds()
    {
        var store = await NewStoreAsync();
        for (var i = 0; i < 5; i++)
            await SubmitAsync(store, $"j{i}");
        await store.FleetSetMaxRunningAsync(new FleetMaxRunningParams(2, At(0)), Ct);

        var first = await ClaimAsync(store, At(1), max: 5);
        (await ClaimAsync(store, At(1), max: 5, worker: "w2")).ShouldBeEmpty("the fleet is at its cap");
        var fleet = await store.FleetGetAsync(Ct);
        await SucceedAsync(store, first[0], At(2));
        var next = await ClaimAsync(store, At(3), max: 5, worker: "w2");

        first.Count.ShouldBe(2);
        (fleet.MaxRunning, fleet.Running).ShouldBe((2, 2L));
        next.Count.ShouldBe(1, "one ended, so one more may run");
    }

    [Fact]
    public async Task FleetSetMaxRunning_Zero_RemovesTheCap()
    {
        var store = await NewStoreAsync();
        for (var i = 0; i < 4; i++)
            await SubmitAsync(store, $"j{i}");
        await store.FleetSetMaxRunningAsync(new FleetMaxRunningParams(1, At(0)), Ct);
        await store.FleetSetMaxRunningAsync(new FleetMaxRunningParams(0, At(0)), Ct);

        (await ClaimAsync(store, At(1), max: 4)).Count.ShouldBe(4);
        (await store.FleetGetAsync(Ct)).MaxRunning.ShouldBe(0);
    }

    [Fact]
    public async Task JobClaim_TwoInstancesRacing_NeverExceedMaxRunning()
    {
        const int cap = 3;
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);
        for (var i = 0; i < 60; i++)
            await SubmitAsync(store, $"j{i}");
        await other.FleetSetMaxRunningAsync(new FleetMaxRunningParams(cap, At(0)), Ct);

        // Counted up after a claim returns and down before its completion starts, so it never exceeds what the store
        // holds as running: above the cap here means above the cap in the store.
        var held = 0;
        var peak = 0;
        var seen = new ConcurrentBag<long>();
        var done = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(c => Task.Run(
            async () =>
            {
                var s = c % 2 == 0 ? store : other;
                while (Volatile.Read(ref done) < 60)
                {
                    var batch = await ClaimAsync(s, At(1), max: 1 + (c % 4), worker: $"w{c}");
                    var now = Interlocked.Add(ref held, batch.Count);
                    InterlockedMax(ref peak, now);
                    (await s.FleetGetAsync(Ct)).Running.ShouldBeLessThanOrEqualTo(cap);
                    await Task.Yield();
                    foreach (var job in batch)
                    {
                        seen.Add(job.Id);
                        Interlocked.Decrement(ref held);
                        (await SucceedAsync(s, job, At(2))).Applied.ShouldBeTrue();
                        Interlocked.Increment(ref done);
                    }
                }
            },
            Ct)));

        peak.ShouldBeLessThanOrEqualTo(cap);
        seen.Distinct().Count().ShouldBe(60);
        (await store.JobCountsAsync(Ct))[JobState.Succeeded].ShouldBe(60);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var was = Interlocked.CompareExchange(ref target, value, current);
            if (was == current)
                return;
            current = was;
        }
    }
}
