using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>The status echo's cursor and lease: one holder at a time, taken over after expiry, progress fenced by the lease.</summary>
public abstract class ForgeEchoConformance : StoreConformanceBase
{
    [Fact]
    public async Task ForgeEchoAcquire_FirstTime_StartsAtTheInitialCursorAndHoldsOthersOff()
    {
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);

        var first = await store.ForgeEchoAcquireAsync(new("serve-a", 41, At(0), At(30)), Ct);
        var rival = await other.ForgeEchoAcquireAsync(new("serve-b", 7, At(10), At(40)), Ct);
        var renewed = await store.ForgeEchoAcquireAsync(new("serve-a", 99, At(20), At(50)), Ct);

        first.ShouldBe(41);
        rival.ShouldBeNull();
        renewed.ShouldBe(41, "the initial cursor applies only when the echo never ran");
    }

    [Fact]
    public async Task ForgeEchoAdvance_ThenTakeover_NewHolderResumesAndOldOneIsFenced()
    {
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);
        (await store.ForgeEchoAcquireAsync(new("serve-a", 0, At(0), At(30)), Ct)).ShouldBe(0);

        var advanced = await store.ForgeEchoAdvanceAsync(new("serve-a", 12, At(30)), Ct);
        var backwards = await store.ForgeEchoAdvanceAsync(new("serve-a", 5, At(30)), Ct);
        var early = await other.ForgeEchoAcquireAsync(new("serve-b", 0, At(29), At(59)), Ct);
        var late = await other.ForgeEchoAcquireAsync(new("serve-b", 0, At(31), At(61)), Ct);
        var fenced = await store.ForgeEchoAdvanceAsync(new("serve-a", 20, At(90)), Ct);
        var lostAcquire = await store.ForgeEchoAcquireAsync(new("serve-a", 0, At(32), At(62)), Ct);

        advanced.ShouldBeTrue();
        backwards.ShouldBeTrue();
        early.ShouldBeNull();
        late.ShouldBe(12, "the cursor never moves back");
        fenced.ShouldBeFalse();
        lostAcquire.ShouldBeNull();
        (await other.ForgeEchoAcquireAsync(new("serve-b", 0, At(33), At(63)), Ct)).ShouldBe(12);
    }

    [Fact]
    public async Task ForgeEchoAcquire_ManyAtOnce_ExactlyOneHolds()
    {
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);

        var takes = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            (i % 2 == 0 ? store : other).ForgeEchoAcquireAsync(new($"serve-{i}", 3, At(0), At(30)), Ct)));

        takes.Count(t => t is not null).ShouldBe(1);
    }
}
