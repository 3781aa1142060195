using Drover.Server.Jobs;
using Microsoft.AspNetCore.Http;

namespace Drover.Server.Api;

/// <summary>
/// SSE of the event log, resumable with <c>Last-Event-ID</c> (or <c>?since=</c>); <c>?since=latest</c> starts after the
/// newest event, for a page that has just loaded the current state and wants only what changes next. New events come
/// from the server's one <see cref="EventHub"/>; only catching up on connect reads the store for this stream alone.
/// </summary>
public static class EventStream
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static async Task ServeAsync(JobService jobs, EventHub hub, StreamSlots slots, HttpContext ctx)
    {
        var ct = ctx.RequestAborted;
        long last = 0;
        var resume = ctx.Request.Headers["Last-Event-ID"].FirstOrDefault() ?? ctx.Request.Query["since"].FirstOrDefault();
        if (resume == "latest")
            last = await jobs.Store.EventLastIdAsync(ct);
        else if (resume is not null && !long.TryParse(resume, out last))
            throw new Core.JobSpecException("since", "Last-Event-ID / since must be an event id (integer) or latest");

        using var slot = await slots.EnterAsync(ctx);
        if (slot is null)
            return;
        try
        {
            // Joined before catching up: an event written meanwhile is on the channel, and skipped there if read here too.
            using var subscription = await hub.SubscribeAsync(ct);
            ctx.Response.ContentType = "text/event-stream";
            ctx.Response.Headers.CacheControl = "no-cache";
            ctx.Response.Headers["X-Accel-Buffering"] = "no";
            await ctx.Response.WriteAsync(": drover events\n\n", ct);
            last = await CatchUpAsync(hub, ctx, last, ct);
            await ctx.Response.Body.FlushAsync(ct);
            await FollowAsync(subscription, ctx, last, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    private static async Task<long> CatchUpAsync(EventHub hub, HttpContext ctx, long last, CancellationToken ct)
    {
        while (true)
        {
            var batch = await hub.ReadAsync(last, ct);
            foreach (var e in batch)
            {
                await ctx.Response.Body.WriteAsync(EventFrame.Of(e).Utf8, ct);
                last = e.Id;
            }

            if (batch.Count < EventHub.PageSize)
                return last;
        }
    }

    private static async Task FollowAsync(EventHub.Subscription subscription, HttpContext ctx, long last, CancellationToken ct)
    {
        var frames = subscription.Frames;
        while (true)
        {
            using (var quiet = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                quiet.CancelAfter(KeepAlive);
                try
                {
                    if (!await frames.WaitToReadAsync(quiet.Token))
                        return; // dropped as too slow, or the server is stopping: the client resumes from its last id
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    await ctx.Response.WriteAsync(": keep-alive\n\n", ct);
                    await ctx.Response.Body.FlushAsync(ct);
                    continue;
                }
                catch (System.Threading.Channels.ChannelClosedException)
                {
                    return; // dropped as too slow
                }
            }

            while (frames.TryRead(out var frame))
            {
                if (frame.Id <= last)
                    continue;
                await ctx.Response.Body.WriteAsync(frame.Utf8, ct);
                last = frame.Id;
            }

            await ctx.Response.Body.FlushAsync(ct);
        }
    }
}
