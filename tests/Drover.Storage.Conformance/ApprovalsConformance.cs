using Drover.Core;
using Drover.Core.Jobs;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>Tool approvals: recorded only for the running attempt, decided once, listed pending or all, per job or fleet-wide.</summary>
public abstract class ApprovalsConformance : StoreConformanceBase
{
    private static ApprovalRequestParams Ask(JobRecord job, string command, DateTimeOffset now, int? attempt = null) =>
        new(job.Id, attempt ?? job.Attempt, "Bash", $"Bash({command})", $$"""{"command":"{{command}}"}""", now);

    [Fact]
    public async Task ApprovalRequest_RunningAttempt_IsPendingUntilDecided_ThenDecidedOnce()
    {
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);
        await SubmitAsync(store);
        var job = await ClaimOneAsync(store, At(0));

        var asked = (await store.ApprovalRequestAsync(Ask(job, "git push", At(1)), Ct)).ShouldNotBeNull();
        var pending = await other.ApprovalListAsync(new ApprovalListParams(), Ct);
        var decided = await other.ApprovalDecideAsync(new ApprovalDecideParams(asked.Id, "allow", true, "alice", At(5)), Ct);
        var again = await store.ApprovalDecideAsync(new ApprovalDecideParams(asked.Id, "deny", false, "timeout", At(9)), Ct);

        pending.ShouldHaveSingleItem().ShouldBe(asked);
        asked.Pending.ShouldBeTrue();
        (asked.JobId, asked.Attempt, asked.Tool, asked.Pattern, asked.CreatedAt).ShouldBe((job.Id, job.Attempt, "Bash", "Bash(git push)", At(1)));
        decided.Applied.ShouldBeTrue();
        (decided.Approval.Decision, decided.Approval.DecidedBy, decided.Approval.Always, decided.Approval.DecidedAt).ShouldBe(("allow", "alice", true, At(5)));
        again.Applied.ShouldBeFalse();
        again.Approval.ShouldBe(decided.Approval);
        (await store.ApprovalGetAsync(asked.Id, Ct)).ShouldBe(decided.Approval);
        (await store.ApprovalListAsync(new ApprovalListParams(), Ct)).ShouldBeEmpty();
        (await store.ApprovalListAsync(new ApprovalListParams(job.Id, All: true), Ct)).ShouldBe([decided.Approval]);
        var events = await EventsAsync(store, job.Id);
        events.Select(e => e.Type).Where(t => t.StartsWith("approval.", StringComparison.Ordinal)).ShouldBe(["approval.requested", "approval.decided"]);
        events.Single(e => e.Type == "approval.decided").DataJson.ShouldContain("\"by\":\"alice\"");
    }

    [Fact]
    public async Task ApprovalRequest_StaleAttemptOrEndedJob_WritesNothing()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store);
        var job = await ClaimOneAsync(store, At(0));

        var stale = await store.ApprovalRequestAsync(Ask(job, "ls", At(1), attempt: job.Attempt + 1), Ct);
        await SucceedAsync(store, job, At(2));
        var ended = await store.ApprovalRequestAsync(Ask(job, "ls", At(3)), Ct);

        stale.ShouldBeNull();
        ended.ShouldBeNull();
        (await store.ApprovalListAsync(new ApprovalListParams(All: true), Ct)).ShouldBeEmpty();
        (await EventTypesAsync(store, job.Id)).ShouldNotContain("approval.requested");
    }

    [Fact]
    public async Task ApprovalList_PerJobAndFleet_OldestFirst_UnknownDecideIsNotFound()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store, "a");
        await SubmitAsync(store, "b");
        var a = await ClaimOneAsync(store, At(0));
        var b = await ClaimOneAsync(store, At(0), worker: "w2");
        var a1 = (await store.ApprovalRequestAsync(Ask(a, "one", At(1)), Ct))!;
        var b1 = (await store.ApprovalRequestAsync(Ask(b, "two", At(2)), Ct))!;
        var a2 = (await store.ApprovalRequestAsync(Ask(a, "three", At(3)), Ct))!;
        await store.ApprovalDecideAsync(new ApprovalDecideParams(a1.Id, "deny", false, "cli", At(4)), Ct);

        (await store.ApprovalListAsync(new ApprovalListParams(), Ct)).Select(x => x.Id).ShouldBe([b1.Id, a2.Id]);
        (await store.ApprovalListAsync(new ApprovalListParams(a.Id), Ct)).Select(x => x.Id).ShouldBe([a2.Id]);
        (await store.ApprovalListAsync(new ApprovalListParams(a.Id, All: true), Ct)).Select(x => x.Id).ShouldBe([a1.Id, a2.Id]);
        (await store.ApprovalGetAsync(999, Ct)).ShouldBeNull();
        await Should.ThrowAsync<NotFoundException>(() => store.ApprovalDecideAsync(new ApprovalDecideParams(999, "allow", false, "cli", At(5)), Ct));
    }
}
