using Drover.Core.Jobs;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>A worker claims only jobs whose capabilities it satisfies (CapabilityMatcher).</summary>
public abstract class CapabilitiesConformance : StoreConformanceBase
{
    [Fact]
    public async Task JobClaim_WorkerMissingCapability_SkipsJob()
    {
        var store = await NewStoreAsync();
        var docker = await SubmitAsync(store, Spec("needs docker", capabilities: ["has:docker"]));

        (await ClaimAsync(store, At(1), capabilities: ["os:linux"])).ShouldBeEmpty();
        (await ClaimAsync(store, At(1), capabilities: ["os:linux", "has:docker"])).ShouldHaveSingleItem().Id.ShouldBe(docker.Id);
    }

    [Fact]
    public async Task JobClaim_NodeAtLeast20_MatchedByWorkerNode20_11_1()
    {
        var store = await NewStoreAsync();
        var needs21 = await SubmitAsync(store, Spec("node 21", priority: 90, capabilities: ["node>=21"]));
        var needs20 = await SubmitAsync(store, Spec("node 20", priority: 10, capabilities: ["node>=20"]));

        var claimed = await ClaimAsync(store, At(1), max: 5, capabilities: ["node=20.11.1"]);

        claimed.ShouldHaveSingleItem().Id.ShouldBe(needs20.Id);
        (await GetAsync(store, needs21.Id)).State.ShouldBe(Drover.Core.Jobs.JobState.Queued);
    }

    [Fact]
    public async Task JobClaim_ManyUnsatisfiableJobsAhead_ScansFurther()
    {
        var store = await NewStoreAsync();
        for (var i = 0; i < 150; i++)
            await SubmitAsync(store, Spec($"gpu {i}", priority: 90, capabilities: ["has:gpu"]));
        var plain = await SubmitAsync(store, Spec("plain", priority: 10));

        var claimed = await ClaimAsync(store, At(1), max: 2, capabilities: ["os:linux"]);

        claimed.ShouldHaveSingleItem().Id.ShouldBe(plain.Id);
    }

    [Fact]
    public async Task JobClaim_NoRequirements_AnyWorkerClaims()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store, "plain");

        (await ClaimAsync(store, At(1), capabilities: [])).Count.ShouldBe(1);
    }

    [Fact]
    public async Task JobClaim_EngineNotOnWorker_SkipsJobUntilAWorkerHasIt()
    {
        var store = await NewStoreAsync();
        var agent = await SubmitAsync(store, Spec("agent job", priority: 90, engine: "claude"));
        var shell = await SubmitAsync(store, Spec("shell job", priority: 10));

        (await ClaimAsync(store, At(1), max: 2, worker: "plain")).ShouldHaveSingleItem().Id.ShouldBe(shell.Id);
        (await ClaimAsync(store, At(2), worker: "near-miss", capabilities: ["engine:claude-other"])).ShouldBeEmpty();
        (await ClaimAsync(store, At(3), worker: "has-claude", capabilities: ["engine:claude>=2.1"])).ShouldHaveSingleItem().Id.ShouldBe(agent.Id);
    }

    [Fact]
    public async Task JobComplete_WaitForReset_RequeuesWithoutAFailureAndGatesTheEngineFleetWide()
    {
        var store = await NewStoreAsync();
        var limited = await SubmitAsync(store, Spec("hit the limit", priority: 90, engine: "claude"));
        var sibling = await SubmitAsync(store, Spec("same engine", priority: 80, engine: "claude"));
        var shell = await SubmitAsync(store, Spec("other engine", priority: 10));
        string[] claude = ["engine:claude"];
        var running = await ClaimAsync(store, At(1), max: 2, capabilities: claude);
        running.Select(j => j.Id).ShouldBe([limited.Id, sibling.Id]);

        var done = await CompleteAsync(store, running[0], AttemptOutcome.WaitForReset(FailureClass.RateLimited, "usage limit reached", At(600), "claude"), At(2));
        // The second one hits the same limit with an earlier reset: the gate only ever moves later.
        await CompleteAsync(store, running[1], AttemptOutcome.WaitForReset(FailureClass.RateLimited, "limit again", At(300), "claude"), At(2));

        done.State.ShouldBe(JobState.Queued);
        var stored = await GetAsync(store, limited.Id);
        stored.Failures.ShouldBe(0);
        stored.Class.ShouldBe(FailureClass.RateLimited);
        stored.NextEligibleAt.ShouldBe(At(600));
        (await store.FleetGetAsync(Ct)).Gates.ShouldHaveSingleItem().ShouldBe(new EngineGate("claude", At(600), "usage limit reached"));
        (await EventTypesAsync(store)).Count(t => t == "engine.gated").ShouldBe(1);

        // Until the reset no claude job runs anywhere (the sibling's own wait ended at 300), while other engines go on.
        (await ClaimAsync(store, At(3), max: 5, capabilities: claude)).ShouldHaveSingleItem().Id.ShouldBe(shell.Id);
        (await ClaimAsync(store, At(599), capabilities: claude)).ShouldBeEmpty();
        var after = await ClaimAsync(store, At(601), max: 5, capabilities: claude);
        after.Select(j => j.Id).ShouldBe([limited.Id, sibling.Id]);
    }

    [Fact]
    public async Task JobComplete_WaitForResetInThePast_RequeuesAtOnceWithoutAGate()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store, Spec("limited", engine: "claude"));
        var job = (await ClaimAsync(store, At(10), capabilities: ["engine:claude"])).ShouldHaveSingleItem();

        await CompleteAsync(store, job, AttemptOutcome.WaitForReset(FailureClass.RateLimited, "limit", At(5), "claude"), At(11));

        (await store.FleetGetAsync(Ct)).Gates.ShouldBeEmpty();
        (await GetAsync(store, job.Id)).NextEligibleAt.ShouldBe(At(11));
    }

    [Fact]
    public async Task JobClaim_EngineClassJob_NeedsAWorkerWithSomeAgentEngine()
    {
        var store = await NewStoreAsync();
        var job = await SubmitAsync(store, Spec("any coder", engine: "") with { EngineClass = "agentic-coder" });

        (await ClaimAsync(store, At(1))).ShouldBeEmpty("a worker with only the shell engine cannot run an agentic-coder job");
        var claimed = await ClaimAsync(store, At(2), capabilities: ["engine:codex", "engine:codex=0.169.0"]);
        claimed.Single().Id.ShouldBe(job.Id);
    }
}
