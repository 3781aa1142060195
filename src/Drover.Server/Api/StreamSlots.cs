using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Api;

/// <summary>
/// The cap on streams open at once (<c>[server] max_streams</c>): event streams and followed logs each hold a slot
/// for as long as they are open; one more is answered 503 with Retry-After, and the refusals are logged at most
/// once a minute.
/// </summary>
public sealed class StreamSlots(int max, TimeProvider time, ILogger logger)
{
    private const int RetryAfterSeconds = 5;
    private int _open;
    private long _lastRefusalLogTicks;

    public int Max => max;

    public int Open => Volatile.Read(ref _open);

    /// <summary>A slot, released when disposed; null (and the 503 written) when every slot is taken.</summary>
    public async Task<IDisposable?> EnterAsync(HttpContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        if (Interlocked.Increment(ref _open) <= max)
            return new Slot(this);
        var open = Interlocked.Decrement(ref _open);
        var now = time.GetUtcNow().UtcTicks;
        var last = Interlocked.Read(ref _lastRefusalLogTicks);
        if (now - last >= TimeSpan.TicksPerMinute && Interlocked.CompareExchange(ref _lastRefusalLogTicks, now, last) == last)
            Log.StreamRefused(logger, open, max);
        ctx.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        ctx.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await ctx.Response.WriteAsJsonAsync(
            new Jobs.ErrorView($"too many open streams ({max}, [server] max_streams); retry in {RetryAfterSeconds} s"), Jobs.DroverJson.Options, ctx.RequestAborted);
        return null;
    }

    private sealed class Slot(StreamSlots slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                Interlocked.Decrement(ref slots._open);
        }
    }
}
