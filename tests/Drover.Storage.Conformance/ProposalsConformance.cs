using Drover.Core;
using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>
/// Proposals (SPEC §12): a succeeded attempt's proposals become jobs blocked on "proposal" in its completion's
/// transaction, one job per key, capped per UTC day; a rejected key is not proposed again for the remember window.
/// </summary>
public abstract class ProposalsConformance : StoreConformanceBase
{
    private static readonly TimeSpan Remember = TimeSpan.FromDays(30);

    private static ProposalDraft Draft(string key, string title = "proposed")
    {
        var spec = Spec(title);
        var json = JobSpecJson.Serialize(spec);
        return new ProposalDraft(key, spec, json, JobSpecJson.Hash(json));
    }

    private static ProposalBatch Batch(int maxPerDay = 20, params ProposalDraft[] drafts) => new(drafts, maxPerDay, Remember);

    /// <summary>Submits, claims and completes a proposing job with <paramref name="batch"/>; returns it.</summary>
    private static async Task<(JobRecord Scout, JobCompleteResult Result)> ProposeAsync(
        IJobStore store, ProposalBatch batch, DateTimeOffset now, AttemptOutcome? outcome = null, long epochShift = 0)
    {
        var scout = await SubmitAsync(store, Spec("scout " + Guid.NewGuid().ToString("N")), now);
        var claimed = await ClaimOneAsync(store, now);
        claimed.Id.ShouldBe(scout.Id);
        var result = await store.JobCompleteAsync(
            new JobCompleteParams(claimed.Id, claimed.Epoch + epochShift, now, outcome ?? AttemptOutcome.Success(), new AttemptResult(ExitCode: 0, EngineRan: true), 0.5)
            {
                Proposals = batch,
            },
            Ct);
        return (scout, result);
    }

    private static async Task<List<JobRecord>> ProposedJobsAsync(IJobStore store) =>
        [.. (await store.JobListAsync(new JobListParams(Limit: 100), Ct)).Jobs.Where(j => j.Title.StartsWith("proposed", StringComparison.Ordinal))];

    [Fact]
    public async Task JobComplete_SucceededWithProposals_MakesOneBlockedJobPerKey()
    {
        var store = await NewStoreAsync();

        var (scout, result) = await ProposeAsync(store, Batch(20, Draft("fix-a", "proposed a"), Draft("fix-a", "proposed a"), Draft("fix-b", "proposed b")), At(0));

        result.State.ShouldBe(JobState.Succeeded);
        var jobs = await ProposedJobsAsync(store);
        jobs.Count.ShouldBe(2);
        jobs.ShouldAllBe(j => j.State == JobState.Blocked && j.BlockedOn == "proposal" && j.Key == null);
        var listed = await store.ProposalListAsync(Ct);
        listed.Select(p => (p.Key, p.ProposedBy, p.ProposedAt, p.Job.Title)).ShouldBe([("fix-a", scout.Id, At(0), "proposed a"), ("fix-b", scout.Id, At(0), "proposed b")]);
        (await EventTypesAsync(store, scout.Id)).ShouldContain("proposal.dropped");
        (await EventTypesAsync(store, jobs[0].Id)).ShouldContain("job.proposed");
        (await ClaimAsync(store, At(1))).ShouldBeEmpty("a proposal waits for a person");
    }

    [Fact]
    public async Task JobComplete_SameKeyFromLaterRun_MakesNoSecondJob()
    {
        var store = await NewStoreAsync();

        await ProposeAsync(store, Batch(20, Draft("nightly-x")), At(0));
        var (second, _) = await ProposeAsync(store, Batch(20, Draft("nightly-x")), At(3600));

        (await ProposedJobsAsync(store)).Count.ShouldBe(1);
        var dropped = (await EventsAsync(store, second.Id)).Where(e => e.Type == "proposal.dropped").ShouldHaveSingleItem();
        dropped.DataJson.ShouldContain("already proposed");
    }

    [Fact]
    public async Task JobComplete_FailedOrFenced_RecordsNoProposals()
    {
        var store = await NewStoreAsync();

        var (_, failed) = await ProposeAsync(store, Batch(20, Draft("a")), At(0), AttemptOutcome.Failure(FailureClass.Crash, "boom"));
        var (_, fenced) = await ProposeAsync(store, Batch(20, Draft("b")), At(10), epochShift: 1);

        failed.Applied.ShouldBeTrue();
        fenced.Applied.ShouldBeFalse();
        (await ProposedJobsAsync(store)).ShouldBeEmpty();
        (await store.ProposalListAsync(Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task ProposalDecide_Accept_QueuesTheJob()
    {
        var store = await NewStoreAsync();
        await ProposeAsync(store, Batch(20, Draft("k")), At(0));
        var proposal = (await store.ProposalListAsync(Ct)).ShouldHaveSingleItem();

        var accepted = await store.ProposalDecideAsync(new ProposalDecideParams(proposal.Job.Id, true, At(60)), Ct);

        accepted.State.ShouldBe(JobState.Queued);
        accepted.BlockedOn.ShouldBeNull();
        (await store.ProposalListAsync(Ct)).ShouldBeEmpty();
        (await ClaimOneAsync(store, At(61))).Id.ShouldBe(proposal.Job.Id);
        (await EventTypesAsync(store, proposal.Job.Id)).ShouldContain("job.proposal_accepted");
    }

    [Fact]
    public async Task ProposalDecide_Reject_CancelsAndRemembersTheKeyForTheWindow()
    {
        var store = await NewStoreAsync();
        await ProposeAsync(store, Batch(20, Draft("k")), At(0));
        var proposal = (await store.ProposalListAsync(Ct)).ShouldHaveSingleItem();

        var rejected = await store.ProposalDecideAsync(new ProposalDecideParams(proposal.Job.Id, false, At(60), "not now"), Ct);
        var (within, _) = await ProposeAsync(store, Batch(20, Draft("k")), At(60 + Remember.TotalSeconds - 60));
        var afterWindow = At(60 + Remember.TotalSeconds + 1);
        await ProposeAsync(store, Batch(20, Draft("k")), afterWindow);

        rejected.State.ShouldBe(JobState.Cancelled);
        rejected.Reason.ShouldBe("proposal rejected: not now");
        (await EventsAsync(store, within.Id)).Where(e => e.Type == "proposal.dropped").ShouldHaveSingleItem().DataJson.ShouldContain("rejected");
        var again = (await store.ProposalListAsync(Ct)).ShouldHaveSingleItem();
        again.Job.Id.ShouldNotBe(proposal.Job.Id);
        again.ProposedAt.ShouldBe(afterWindow);
    }

    [Fact]
    public async Task JobComplete_OverTheDaysCap_DropsTheRestUntilTheNextDay()
    {
        var store = await NewStoreAsync();
        var day = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

        var (first, _) = await ProposeAsync(store, Batch(2, Draft("a"), Draft("b"), Draft("c")), day.AddHours(1));
        var (second, _) = await ProposeAsync(store, Batch(2, Draft("d")), day.AddHours(23));
        await ProposeAsync(store, Batch(2, Draft("e")), day.AddDays(1).AddMinutes(1));

        (await store.ProposalListAsync(Ct)).Select(p => p.Key).ShouldBe(["a", "b", "e"]);
        (await EventsAsync(store, first.Id)).Where(e => e.Type == "proposal.dropped").ShouldHaveSingleItem().DataJson.ShouldContain("max_per_day");
        (await EventTypesAsync(store, second.Id)).ShouldContain("proposal.dropped");
    }

    [Fact]
    public async Task ProposalDecide_JobThatIsNoWaitingProposal_IsBadInput()
    {
        var store = await NewStoreAsync();
        await ProposeAsync(store, Batch(20, Draft("k")), At(0));
        var plain = await SubmitAsync(store, "plain");
        var proposal = (await store.ProposalListAsync(Ct)).ShouldHaveSingleItem();
        await store.ProposalDecideAsync(new ProposalDecideParams(proposal.Job.Id, true, At(1)), Ct);

        var notProposal = await Should.ThrowAsync<JobSpecException>(() => store.ProposalDecideAsync(new ProposalDecideParams(plain.Id, true, At(2)), Ct));
        var decided = await Should.ThrowAsync<JobSpecException>(() => store.ProposalDecideAsync(new ProposalDecideParams(proposal.Job.Id, false, At(2)), Ct));
        var missing = await Should.ThrowAsync<JobSpecException>(() => store.ProposalDecideAsync(new ProposalDecideParams(999_999, true, At(2)), Ct));

        notProposal.Message.ShouldContain("not a waiting proposal");
        decided.Message.ShouldContain("not a waiting proposal");
        missing.Message.ShouldContain("not a waiting proposal");
    }

    [Fact]
    public async Task JobComplete_TwoInstancesProposeTheSameKeyAtOnce_OneJob()
    {
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);
        var a = await SubmitAsync(store, Spec("scout a"), At(0));
        var b = await SubmitAsync(store, Spec("scout b"), At(0));
        var claimed = await ClaimAsync(store, At(0), max: 2);
        claimed.Count.ShouldBe(2);

        await Task.WhenAll(claimed.Select((job, i) => (i == 0 ? store : other).JobCompleteAsync(
            new JobCompleteParams(job.Id, job.Epoch, At(5), AttemptOutcome.Success(), new AttemptResult(ExitCode: 0), 0.5) { Proposals = Batch(20, Draft("same")) },
            Ct)));

        (await store.ProposalListAsync(Ct)).ShouldHaveSingleItem().Key.ShouldBe("same");
        (await GetAsync(store, a.Id)).State.ShouldBe(JobState.Succeeded);
        (await GetAsync(store, b.Id)).State.ShouldBe(JobState.Succeeded);
    }
}
