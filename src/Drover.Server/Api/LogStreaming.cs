using Drover.Server.Jobs;
using Microsoft.AspNetCore.Http;

namespace Drover.Server.Api;

/// <summary>An attempt's log as text/plain; with <c>follow=1</c> it streams until the attempt ends.</summary>
public static class LogStreaming
{
    public static async Task ServeAsync(JobService jobs, StreamSlots slots, long id, HttpContext ctx)
    {
        var ct = ctx.RequestAborted;
        var q = ctx.Request.Query;
        var follow = q["follow"].FirstOrDefault() is "1" or "true";
        int? attempt = q["attempt"].FirstOrDefault() is { } a
            ? int.TryParse(a, out var n) && n > 0 ? n : throw new Core.JobSpecException("attempt", "attempt must be a positive integer")
            : null;
        long offset = q["offset"].FirstOrDefault() is { } o
            ? long.TryParse(o, out var off) && off >= 0 ? off : throw new Core.JobSpecException("offset", "offset must be a non-negative integer")
            : 0;

        var chunk = await jobs.ReadLogAsync(id, attempt, offset, ct);
        // A followed log is a stream: it holds one of the [server] max_streams slots while open.
        using var slot = follow ? await slots.EnterAsync(ctx) : null;
        if (follow && slot is null)
            return;

        ctx.Response.ContentType = "text/plain; charset=utf-8";
        ctx.Response.Headers["X-Drover-Attempt"] = chunk.Attempt.ToString();
        if (!follow)
        {
            // One chunk, with where to continue: the CLI polls this for `logs -f`.
            ctx.Response.Headers["X-Drover-Offset"] = chunk.Offset.ToString();
            ctx.Response.Headers["X-Drover-Attempt-Ended"] = chunk.AttemptEnded ? "1" : "0";
            await ctx.Response.WriteAsync(chunk.Text, ct);
            return;
        }

        try
        {
            while (true)
            {
                if (chunk.Text.Length > 0)
                {
                    await ctx.Response.WriteAsync(chunk.Text, ct);
                    await ctx.Response.Body.FlushAsync(ct);
                }

                offset = chunk.Offset;
                if (chunk.Text.Length == 0 && (!follow || chunk.AttemptEnded))
                    return;
                if (chunk.Text.Length == 0)
                    await Task.Delay(200, ct);
                chunk = await jobs.ReadLogAsync(id, chunk.Attempt == 0 ? null : chunk.Attempt, offset, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }
}
