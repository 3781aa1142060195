using Drover.Core;
using Drover.Core.Jobs;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>Webhook deliveries: one taker per delivery id across instances, a failed one taken again, outcomes recorded.</summary>
public abstract class WebhooksConformance : StoreConformanceBase
{
    [Fact]
    public async Task WebhookDeliveryBegin_SameIdTwice_OnlyFirstTakesIt()
    {
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);

        var first = await store.WebhookDeliveryBeginAsync(new("github", "d-1", "issues", At(0)), Ct);
        var replay = await other.WebhookDeliveryBeginAsync(new("github", "d-1", "issues", At(5)), Ct);
        var otherForge = await other.WebhookDeliveryBeginAsync(new("gitea", "d-1", "issues", At(6)), Ct);
        await store.WebhookDeliveryEndAsync(new("github", "d-1", "created"), Ct);
        var afterEnd = await other.WebhookDeliveryBeginAsync(new("github", "d-1", "issues", At(7)), Ct);

        first.ShouldBeTrue();
        replay.ShouldBeFalse();
        otherForge.ShouldBeTrue("delivery ids are per forge");
        afterEnd.ShouldBeFalse();
        var list = await other.WebhookDeliveryListAsync(10, Ct);
        list.ShouldBe([new WebhookDeliveryRecord("gitea", "d-1", "issues", At(6), "received"), new WebhookDeliveryRecord("github", "d-1", "issues", At(0), "created")]);
    }

    [Fact]
    public async Task WebhookDeliveryBegin_AfterFailedHandling_IsTakenAgain()
    {
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);

        (await store.WebhookDeliveryBeginAsync(new("github", "d-2", "issues", At(0)), Ct)).ShouldBeTrue();
        await store.WebhookDeliveryEndAsync(new("github", "d-2", "failed"), Ct);
        var retried = await other.WebhookDeliveryBeginAsync(new("github", "d-2", "issues", At(30)), Ct);
        var again = await store.WebhookDeliveryBeginAsync(new("github", "d-2", "issues", At(31)), Ct);

        retried.ShouldBeTrue();
        again.ShouldBeFalse();
        (await store.WebhookDeliveryListAsync(10, Ct)).ShouldHaveSingleItem().ShouldBe(new WebhookDeliveryRecord("github", "d-2", "issues", At(30), "received"));
    }

    [Fact]
    public async Task WebhookDeliveryBegin_ManyAtOnce_ExactlyOneTakes()
    {
        var store = await NewStoreAsync();
        var other = await SecondInstanceOrSameAsync(store);

        var takes = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            (i % 2 == 0 ? store : other).WebhookDeliveryBeginAsync(new("github", "race", "issues", At(i)), Ct)));

        takes.Count(t => t).ShouldBe(1);
    }

    [Fact]
    public async Task JobCancel_OnlyQueued_CancelsAQueuedJobButNotAStartedOne()
    {
        var store = await NewStoreAsync();
        var started = await SubmitAsync(store, "started", priority: 90);
        var waiting = await SubmitAsync(store, "waiting", priority: 10);
        var claimed = await ClaimOneAsync(store, At(1));

        var refused = await Should.ThrowAsync<ConflictException>(() => store.JobCancelAsync(new(started.Id, At(2), "issue closed", OnlyQueued: true), Ct));
        var cancelled = await store.JobCancelAsync(new(waiting.Id, At(3), "issue closed", OnlyQueued: true), Ct);

        claimed.Id.ShouldBe(started.Id);
        refused.Message.ShouldContain("has already started");
        (await store.JobGetAsync(started.Id, Ct))!.State.ShouldBe(JobState.Running);
        (cancelled.State, cancelled.Reason).ShouldBe((JobState.Cancelled, "issue closed"));
    }
}
