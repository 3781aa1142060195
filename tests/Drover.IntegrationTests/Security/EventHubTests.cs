using System.Threading.Channels;
using Drover.Core.Configuration;
using Drover.Core.Storage;
using Drover.Engines.Workspaces;
using Drover.Server.Api;
using Drover.Server.Hosting;
using Drover.Server.Jobs;
using Drover.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.IntegrationTests.Security;

/// <summary>The event fan-out over a real SQLite store: one reader for every stream, and a slow stream dropped.</summary>
public sealed class EventHubTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Subscribe_FiftyStreams_AllGetTheSameEventsFromOneReadPerWakeUp()
    {
        var dir = Directory.CreateTempSubdirectory("drover-hub-");
        try
        {
            await using var store = await SqliteJobStore.OpenAsync(Path.Combine(dir.FullName, "drover.db"), Ct);
            using var hub = new EventHub(Service(store, dir.FullName), NullLogger.Instance);
            var subs = new List<EventHub.Subscription>();
            for (var i = 0; i < 50; i++)
                subs.Add(await hub.SubscribeAsync(Ct));
            await Task.Delay(300, Ct); // the reader finds nothing new and waits for a change
            var readsBefore = hub.Reads;

            for (var i = 0; i < 3; i++)
                await store.EventAppendAsync(new EventAppendParams("test.fanout", null, null, $$"""{"n":{{i}}}""", DateTimeOffset.UtcNow), Ct);

            var received = await Task.WhenAll(subs.Select(s => TakeAsync(s.Frames, 3)));
            received.ShouldAllBe(ids => ids.SequenceEqual(received[0]));
            received[0].Count.ShouldBe(3);
            (hub.Reads - readsBefore).ShouldBeLessThan(10, "the store is read once per wake-up, not once per stream");
            foreach (var s in subs)
                s.Dispose();
            hub.Subscribers.ShouldBe(0);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Broadcast_OneStreamNeverReads_ItIsDroppedAndTheOthersGetEverything()
    {
        var dir = Directory.CreateTempSubdirectory("drover-hub-");
        try
        {
            await using var store = await SqliteJobStore.OpenAsync(Path.Combine(dir.FullName, "drover.db"), Ct);
            using var hub = new EventHub(Service(store, dir.FullName), NullLogger.Instance);
            using var slow = await hub.SubscribeAsync(Ct);
            using var fast = await hub.SubscribeAsync(Ct);
            var total = EventHub.Backlog + 50;
            var reading = TakeAsync(fast.Frames, total);

            for (var i = 0; i < total; i++)
                await store.EventAppendAsync(new EventAppendParams("test.flood", null, null, "{}", DateTimeOffset.UtcNow), Ct);

            (await reading).Count.ShouldBe(total);
            // What it had buffered is still its own; then its stream ends, and its client resumes from the last id it got.
            var buffered = 0;
            var dropped = await Should.ThrowAsync<ChannelClosedException>(async () =>
            {
                while (await slow.Frames.WaitToReadAsync(Ct))
                {
                    while (slow.Frames.TryRead(out _))
                        buffered++;
                }
            });
            dropped.Message.ShouldContain("fell too far behind");
            buffered.ShouldBe(EventHub.Backlog);
            hub.Subscribers.ShouldBe(1);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static JobService Service(IJobStore store, string root) =>
        new(store, new GitRepoInspector(), DroverConfig.Default.SpecContext, new DroverHome(root), TimeProvider.System, TimeSpan.FromSeconds(30));

    private static async Task<List<long>> TakeAsync(ChannelReader<EventFrame> frames, int count)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var ids = new List<long>();
        while (ids.Count < count)
            ids.Add((await frames.ReadAsync(timeout.Token)).Id);
        return ids;
    }
}
