using Drover.Core.Jobs;
using Drover.Core.Scheduling;

namespace Drover.Core.Tests.Scheduling;

public sealed class EngineBreakerTests
{
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static BreakerDecision End(EngineBreakerRecord b, string? cls, long job = 1) =>
        EngineBreaker.OnAttemptEnded(b, job, cls, "boom", Now);

    /// <summary>Feeds outcomes in turn (F: an auth failure, o: a success, v: verify_failed) and returns the last decision.</summary>
    private static BreakerDecision Feed(string outcomes)
    {
        var b = EngineBreakerRecord.Closed("claude");
        BreakerDecision? last = null;
        for (var i = 0; i < outcomes.Length; i++)
        {
            last = End(b, outcomes[i] switch { 'F' => FailureClass.Auth, 'v' => FailureClass.VerifyFailed, _ => null }, job: i + 1);
            b = last.Next;
        }

        return last!;
    }

    [Theory]
    [InlineData("FFFF", true)]
    [InlineData("FFoFF", true)]
    [InlineData("oFFFF", true)]
    [InlineData("FFF", false)]
    [InlineData("FoFoF", false)]
    [InlineData("FFFoo", false)]
    [InlineData("vvvvv", false)]
    [InlineData("FFFoooFFF", false)]
    public void OnAttemptEnded_WindowOfFive_TripsAtFourEngineFailures(string outcomes, bool trips)
    {
        var d = Feed(outcomes);

        d.Tripped.ShouldBe(trips);
        d.Refund.ShouldBe(trips, "the attempt that trips it is refunded");
        d.Next.State.ShouldBe(trips ? EngineBreakerState.Open : EngineBreakerState.Closed);
    }

    [Fact]
    public void OnAttemptEnded_Trip_OpensForTheFirstCooldownWithTheLastReason()
    {
        var d = Feed("FFFF");

        (d.Next.Trips, d.Next.Until, d.Next.Reason).ShouldBe((1, Now + TimeSpan.FromMinutes(1), "auth: boom"));
    }

    [Fact]
    public void OnAttemptEnded_Trip_NamesTheEarlierVictimsInTheWindow()
    {
        Feed("FFoFF").RefundEarlier.ShouldBe([1L, 2L, 4L]);
        Feed("FFF").RefundEarlier.ShouldBeEmpty("no trip, no refund");
    }

    [Fact]
    public void OnAttemptEnded_SameJobTwiceInTheWindow_IsNamedOncePerAttempt()
    {
        var b = EngineBreakerRecord.Closed("claude");
        foreach (var job in new long[] { 7, 7, 8 })
            b = End(b, FailureClass.Crash, job).Next;

        End(b, FailureClass.Crash, 9).RefundEarlier.ShouldBe([7L, 7L, 8L]);
    }

    [Theory]
    [InlineData(FailureClass.Auth, true)]
    [InlineData(FailureClass.Crash, true)]
    [InlineData(FailureClass.ModelError, true)]
    [InlineData(FailureClass.Infra, true)]
    [InlineData(FailureClass.DependencyMissing, true)]
    [InlineData(FailureClass.QuotaExhausted, true)]
    [InlineData(FailureClass.VerifyFailed, false)]
    [InlineData(FailureClass.ScopeViolation, false)]
    [InlineData(FailureClass.Timeout, false)]
    [InlineData(FailureClass.BudgetExhausted, false)]
    public void EngineCaused_Class_CountsOnlyWhatTheJobDidNotCause(string cls, bool counts) =>
        EngineBreaker.EngineCaused(cls).ShouldBe(counts);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(5, 16)]
    [InlineData(6, 30)]
    [InlineData(40, 30)]
    public void Cooldown_EachTrip_DoublesUpToThirtyMinutes(int trips, int minutes) =>
        EngineBreaker.Cooldown(trips).ShouldBe(TimeSpan.FromMinutes(minutes));

    [Fact]
    public void OnAttemptEnded_BreakerOpen_RefundsEngineFailuresWithoutExtending()
    {
        var open = Feed("FFFF").Next;

        var d = End(open, FailureClass.Crash, job: 7);

        (d.Refund, d.Tripped, d.Next.Until).ShouldBe((true, false, open.Until));
        End(open, FailureClass.VerifyFailed, job: 7).Refund.ShouldBeFalse("the job's own failure counts as usual");
    }

    [Fact]
    public void OnAttemptEnded_ProbeFails_ReopensWithTheDoubledCooldown()
    {
        var probing = Feed("FFFF").Next with { State = EngineBreakerState.Probing, ProbeJob = 9 };

        var d = End(probing, FailureClass.Auth, job: 9);

        (d.Tripped, d.Refund, d.Next.State, d.Next.Trips, d.Next.Until).ShouldBe((true, true, EngineBreakerState.Open, 2, Now + TimeSpan.FromMinutes(2)));
    }

    [Fact]
    public void OnAttemptEnded_ProbeSucceeds_ClosesAndResets()
    {
        var probing = Feed("FFFF").Next with { State = EngineBreakerState.Probing, ProbeJob = 9, Trips = 3 };

        var d = End(probing, null, job: 9);

        d.Next.ShouldBe(EngineBreakerRecord.Closed("claude"));
        End(d.Next, FailureClass.Auth).Tripped.ShouldBeFalse("a fresh window needs four failures again");
    }

    [Fact]
    public void ProbeAbandoned_ProbeLost_ReopensDueAtOnce()
    {
        var probing = Feed("FFFF").Next with { State = EngineBreakerState.Probing, ProbeJob = 9 };

        var next = EngineBreaker.ProbeAbandoned(probing, 9, Now);

        (next.State, next.Until, next.ProbeJob, next.Trips).ShouldBe((EngineBreakerState.Open, Now, null, 1));
    }

    [Theory]
    [InlineData("claude", true)]
    [InlineData("shell", false)]
    [InlineData("", false)]
    public void Applies_Engine_NotToShellOrUnnamed(string engine, bool applies) =>
        EngineBreaker.Applies(engine).ShouldBe(applies);
}
