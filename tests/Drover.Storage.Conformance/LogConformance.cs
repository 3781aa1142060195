using System.Text;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>Attempt logs shipped to the store: stitched in order, stored once per position, bounded per attempt.</summary>
public abstract class LogConformance : StoreConformanceBase
{
    [Fact]
    public async Task LogAppend_ChunksInOrder_ReadBackFromAnyOffsetAcrossChunks()
    {
        var store = await NewStoreAsync();
        var job = await SubmitAsync(store);
        var claimed = await ClaimOneAsync(store, At(1));

        (await store.LogAppendAsync(new LogAppendParams(job.Id, claimed.Attempt, 0, "hello "u8.ToArray(), 1000), Ct)).ShouldBeTrue();
        (await store.LogAppendAsync(new LogAppendParams(job.Id, claimed.Attempt, 6, "world\n"u8.ToArray(), 1000), Ct)).ShouldBeTrue();
        // The same chunk again (a retried copy): stored once.
        (await store.LogAppendAsync(new LogAppendParams(job.Id, claimed.Attempt, 6, "world\n"u8.ToArray(), 1000), Ct)).ShouldBeTrue();

        var all = await store.LogReadAsync(job.Id, claimed.Attempt, 0, 1 << 20, Ct);
        Encoding.UTF8.GetString(all.Data).ShouldBe("hello world\n");
        all.StoredBytes.ShouldBe(12);
        Encoding.UTF8.GetString((await store.LogReadAsync(job.Id, claimed.Attempt, 3, 1 << 20, Ct)).Data).ShouldBe("lo world\n");
        Encoding.UTF8.GetString((await store.LogReadAsync(job.Id, claimed.Attempt, 3, 5, Ct)).Data).ShouldBe("lo wo");
        (await store.LogReadAsync(job.Id, claimed.Attempt, 12, 100, Ct)).Data.ShouldBeEmpty();
        (await store.LogReadAsync(job.Id, claimed.Attempt + 1, 0, 100, Ct)).StoredBytes.ShouldBe(0);
    }

    [Fact]
    public async Task LogAppend_PastTheLimit_KeepsThePartThatFitsAndSaysSo()
    {
        var store = await NewStoreAsync();
        var job = await SubmitAsync(store);
        var claimed = await ClaimOneAsync(store, At(1));

        (await store.LogAppendAsync(new LogAppendParams(job.Id, claimed.Attempt, 0, "0123456789"u8.ToArray(), 15), Ct)).ShouldBeTrue();
        (await store.LogAppendAsync(new LogAppendParams(job.Id, claimed.Attempt, 10, "abcdefghij"u8.ToArray(), 15), Ct)).ShouldBeFalse();
        (await store.LogAppendAsync(new LogAppendParams(job.Id, claimed.Attempt, 20, "more"u8.ToArray(), 15), Ct)).ShouldBeFalse();

        var stored = await store.LogReadAsync(job.Id, claimed.Attempt, 0, 100, Ct);
        Encoding.UTF8.GetString(stored.Data).ShouldBe("0123456789abcde");
        stored.StoredBytes.ShouldBe(15);
    }

    [Fact]
    public async Task JobGc_DeletesTheShippedLogsOfTheJobsItDeletes()
    {
        var store = await NewStoreAsync();
        var job = await SubmitAsync(store);
        var claimed = await ClaimOneAsync(store, At(1));
        await store.LogAppendAsync(new LogAppendParams(job.Id, claimed.Attempt, 0, "x"u8.ToArray(), 100), Ct);
        await SucceedAsync(store, claimed, At(2));

        (await store.JobGcAsync(new JobGcParams(At(100), 10, At(100)), Ct)).JobIds.ShouldBe([job.Id]);

        (await store.LogReadAsync(job.Id, claimed.Attempt, 0, 100, Ct)).StoredBytes.ShouldBe(0);
    }
}
