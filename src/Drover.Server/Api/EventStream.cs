using System.Text.Json;
using Drover.Server.Jobs;
using Microsoft.AspNetCore.Http;

namespace Drover.Server.Api;

/// <summary>
/// SSE of the event log, resumable with <c>Last-Event-ID</c> (or <c>?since=</c>); <c>?since=latest</c> starts after the
/// newest event, for a page that has just loaded the current state and wants only what changes next.
/// </summary>
public static class EventStream
{
    public static async Task ServeAsync(JobService jobs, HttpContext ctx)
    {
        var ct = ctx.RequestAborted;
        long last = 0;
        var resume = ctx.Request.Headers["Last-Event-ID"].FirstOrDefault() ?? ctx.Request.Query["since"].FirstOrDefault();
        if (resume == "latest")
            last = await jobs.Store.EventLastIdAsync(ct);
        else if (resume is not null && !long.TryParse(resume, out last))
            throw new Core.JobSpecException("since", "Last-Event-ID / since must be an event id (integer) or latest");

        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        ctx.Response.Headers["X-Accel-Buffering"] = "no";
        await ctx.Response.WriteAsync(": drover events\n\n", ct);
        await ctx.Response.Body.FlushAsync(ct);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var batch = await jobs.EventsAsync(last, 500, null, ct);
                foreach (var e in batch)
                {
                    var data = JsonSerializer.Serialize(e, DroverJson.Options);
                    await ctx.Response.WriteAsync($"id: {e.Id}\nevent: {e.Type}\ndata: {data}\n\n", ct);
                    last = e.Id;
                }

                if (batch.Count > 0)
                {
                    await ctx.Response.Body.FlushAsync(ct);
                    continue;
                }

                var waited = DateTimeOffset.UtcNow;
                await jobs.Store.WaitForChangeAsync(TimeSpan.FromSeconds(15), ct);
                if (DateTimeOffset.UtcNow - waited >= TimeSpan.FromSeconds(14))
                {
                    await ctx.Response.WriteAsync(": keep-alive\n\n", ct);
                    await ctx.Response.Body.FlushAsync(ct);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away.
        }
    }
}
