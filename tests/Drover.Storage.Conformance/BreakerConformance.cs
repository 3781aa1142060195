using Drover.Core.Jobs;
using Drover.Core.Scheduling;
using Drover.Core.Specs;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>The failure-rate breaker (SPEC §5): recorded with the attempt's end, enforced by claims, cleared by resume.</summary>
public abstract class BreakerConformance : StoreConformanceBase
{
    private static readonly RetryPolicy OneAttempt = RetryPolicy.Default with { MaxAttempts = 1 };

    private static Task<IReadOnlyList<JobRecord>> ClaimClaudeAsync(IJobStore store, DateTimeOffset now, int max = 1, string worker = "w1") =>
        ClaimAsync(store, now, max, worker, capabilities: ["engine:claude"]);

    private static async Task SubmitClaudeAsync(IJobStore store, int count)
    {
        for (var i = 0; i < count; i++)
            await SubmitAsync(store, Spec($"c{i}", engine: "claude", retry: OneAttempt));
    }

    private static Task<JobCompleteResult> FailAsync(IJobStore store, JobRecord job, DateTimeOffset now, string cls = FailureClass.Auth) =>
        CompleteAsync(store, job, AttemptOutcome.Failure(cls, "not logged in"), now, new AttemptResult(ExitCode: 1, EngineRan: true));

    /// <summary>Fails <paramref name="n"/> claude attempts one after another, from second <paramref name="from"/>.</summary>
    private static async Task<List<JobCompleteResult>> FailInTurnAsync(IJobStore store, int n, double from, string cls = FailureClass.Auth)
    {
        var results = new List<JobCompleteResult>();
        for (var i = 0; i < n; i++)
        {
            var job = (await ClaimClaudeAsync(store, At(from + i))).ShouldHaveSingleItem();
            results.Add(await FailAsync(store, job, At(from + i), cls));
        }

        return results;
    }

    [Fact]
    public async Task JobComplete_FourOfFiveAttemptsFailForTheEngine_TripsAndRefundsTheTrippingAttempt()
    {
        var store = await NewStoreAsync();
        await SubmitClaudeAsync(store, 6);

        var results = await FailInTurnAsync(store, 4, from: 1);
        var fleet = await store.FleetGetAsync(Ct);
        var held = await ClaimClaudeAsync(store, At(30), max: 6);
        var opened = await store.EventListAsync(new EventListParams(0, 500) { Types = ["engine.breaker_opened"] }, Ct);

        results.ShouldAllBe(r => r.State == JobState.Queued, "the first three were held, then given back by the trip");
        var breaker = fleet.Breakers.ShouldHaveSingleItem();
        (breaker.Engine, breaker.State, breaker.Trips, breaker.Until).ShouldBe(("claude", EngineBreakerState.Open, 1, At(4) + EngineBreaker.FirstCooldown));
        breaker.Reason.ShouldBe("auth: not logged in");
        held.ShouldBeEmpty("the engine is not claimed during the cool-down");
        opened.ShouldHaveSingleItem();
        var refunded = (await store.JobListAsync(new JobListParams(State: JobState.Queued), Ct)).Jobs;
        refunded.Count.ShouldBe(6);
        refunded.ShouldAllBe(j => j.Failures == 0 && j.HeldUntil == null);
    }

    [Fact]
    public async Task JobComplete_Trip_GivesJobsStillQueuedTheRetriesTheOutageCost()
    {
        var store = await NewStoreAsync();
        for (var i = 0; i < 4; i++)
            await SubmitAsync(store, Spec($"c{i}", engine: "claude")); // crash is retried: 3 attempts each

        var results = await FailInTurnAsync(store, 4, from: 1, FailureClass.Crash);
        var jobs = (await store.JobListAsync(new JobListParams(), Ct)).Jobs;
        var opened = (await store.EventListAsync(new EventListParams(0, 500) { Types = ["engine.breaker_opened"] }, Ct)).ShouldHaveSingleItem();

        results.ShouldAllBe(r => r.State == JobState.Queued);
        jobs.Count.ShouldBe(4);
        jobs.ShouldAllBe(j => j.State == JobState.Queued && j.Failures == 0);
        opened.DataJson.ShouldContain("\"refunded\":[");
    }

    [Fact]
    public async Task JobComplete_AttemptRunningWhenItTrips_IsRefundedToo()
    {
        var store = await NewStoreAsync();
        await SubmitClaudeAsync(store, 5);
        var running = await ClaimClaudeAsync(store, At(1), max: 5);

        var states = new List<JobState?>();
        foreach (var job in running)
            states.Add((await FailAsync(store, job, At(2))).State);

        states.ShouldAllBe(st => st == JobState.Queued);
        (await store.JobListAsync(new JobListParams(State: JobState.Queued), Ct)).Jobs.ShouldAllBe(j => j.Failures == 0 && j.HeldUntil == null);
        (await store.EventListAsync(new EventListParams(0, 500) { Types = ["engine.breaker_opened"] }, Ct)).ShouldHaveSingleItem();
    }

    [Fact]
    public async Task JobComplete_JobCausedFailures_DoNotTrip()
    {
        var store = await NewStoreAsync();
        await SubmitClaudeAsync(store, 6);

        await FailInTurnAsync(store, 5, from: 1, FailureClass.VerifyFailed);

        (await store.FleetGetAsync(Ct)).Breakers.ShouldBeEmpty();
        (await ClaimClaudeAsync(store, At(10))).Count.ShouldBe(1);
    }

    [Fact]
    public async Task JobClaim_ShellEngineFailures_HaveNoBreaker()
    {
        var store = await NewStoreAsync();
        for (var i = 0; i < 6; i++)
            await SubmitAsync(store, Spec($"s{i}", retry: OneAttempt));

        for (var i = 0; i < 5; i++)
            await FailAsync(store, await ClaimOneAsync(store, At(i)), At(i), FailureClass.Crash);

        (await store.FleetGetAsync(Ct)).Breakers.ShouldBeEmpty();
        (await ClaimAsync(store, At(10))).Count.ShouldBe(1);
    }

    [Fact]
    public async Task JobClaim_CooldownOver_RunsOneProbe_FailedProbeDoublesTheCooldown()
    {
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);
        await SubmitClaudeAsync(store, 8);
        await FailInTurnAsync(store, 4, from: 0); // trips at At(3): cool-down until At(63)

        var probe = await ClaimClaudeAsync(store, At(64), max: 8);
        var during = await ClaimClaudeAsync(other, At(65), max: 8, worker: "w2");
        var failed = await FailAsync(store, probe.ShouldHaveSingleItem(), At(66));
        var reopened = (await store.FleetGetAsync(Ct)).Breakers.ShouldHaveSingleItem();

        during.ShouldBeEmpty("one probe at a time, fleet-wide");
        failed.State.ShouldBe(JobState.Queued, "a failed probe is refunded");
        (reopened.State, reopened.Trips, reopened.Until).ShouldBe((EngineBreakerState.Open, 2, At(66) + TimeSpan.FromMinutes(2)));
        (await ClaimClaudeAsync(store, At(66 + 119), max: 8)).ShouldBeEmpty();
    }

    [Fact]
    public async Task JobClaim_ProbeSucceeds_ClosesAndResetsTheBreaker()
    {
        var store = await NewStoreAsync();
        await SubmitClaudeAsync(store, 8);
        await FailInTurnAsync(store, 4, from: 0);

        var probe = (await ClaimClaudeAsync(store, At(64), max: 8)).ShouldHaveSingleItem();
        await SucceedAsync(store, probe, At(65));
        var fleet = await store.FleetGetAsync(Ct);
        var after = await ClaimClaudeAsync(store, At(66), max: 8);

        fleet.Breakers.ShouldBeEmpty();
        after.Count.ShouldBe(7, "the breaker closed: every queued claude job is claimable");
        (await store.EventListAsync(new EventListParams(0, 500) { Types = ["engine.breaker_closed"] }, Ct)).ShouldHaveSingleItem();
    }

    [Fact]
    public async Task JobClaim_ProbeCancelled_AnotherProbeMayRun()
    {
        var store = await NewStoreAsync();
        await SubmitClaudeAsync(store, 8);
        await FailInTurnAsync(store, 4, from: 0);
        var probe = (await ClaimClaudeAsync(store, At(64))).ShouldHaveSingleItem();

        await store.JobCancelAsync(new JobCancelParams(probe.Id, At(65)), Ct);

        (await ClaimClaudeAsync(store, At(66), max: 8)).Count.ShouldBe(1, "a new probe, not the whole queue");
    }

    [Fact]
    public async Task EngineResume_OpenBreaker_ClearsItSoClaimsResume()
    {
        var store = await NewStoreAsync();
        await SubmitClaudeAsync(store, 6);
        await FailInTurnAsync(store, 4, from: 0);

        var resumed = await store.EngineResumeAsync(new EngineResumeParams("claude", At(10)), Ct);
        var fleet = await store.FleetGetAsync(Ct);
        var claimed = await ClaimClaudeAsync(store, At(11), max: 6);
        var again = await store.EngineResumeAsync(new EngineResumeParams("claude", At(12)), Ct);

        resumed.ShouldBeTrue();
        fleet.Breakers.ShouldBeEmpty();
        claimed.Count.ShouldBe(6);
        again.ShouldBeFalse("nothing holds the engine any more");
    }
}
