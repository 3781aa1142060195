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
}
