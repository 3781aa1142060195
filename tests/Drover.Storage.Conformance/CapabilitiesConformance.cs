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
}
