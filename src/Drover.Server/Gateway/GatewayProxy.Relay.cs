using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Core.Gateway;
using Microsoft.AspNetCore.Http;

namespace Drover.Server.Gateway;

/// <summary>Reading a provider's answer: its error text (redacted, where upstream text enters Drover) and the relay of
/// an answer to the client as it arrives.</summary>
public sealed partial class GatewayProxy
{
    /// <summary>An error body, redacted: from here on it goes to the client, provider state, events, alerts and logs.</summary>
    private static async Task<string> ShortTextAsync(HttpResponseMessage response, Core.Secrets.UpstreamRedactor redactor, CancellationToken ct)
    {
        string text;
        try
        {
            text = redactor.Redact(await response.Content.ReadAsStringAsync(ct));
        }
        catch (HttpRequestException)
        {
            return "";
        }

        if (response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge && text.Length <= 64 * 1024)
            return text; // may be handed back to the client whole
        return Short(text);
    }

    private static string Short(string text)
    {
        try
        {
            if (JsonNode.Parse(text)?["error"]?["message"]?.GetValue<string>() is { } message)
                text = message;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
        }

        text = text.ReplaceLineEndings(" ").Trim();
        return text.Length <= 200 ? text : text[..200] + "…";
    }

    /// <param name="Answered">The client got a response (complete, or cut after output started).</param>
    /// <param name="Skip">Why to go on (not answered), or why the answer was cut.</param>
    /// <param name="Outcome">Overrides the outcome recorded (client_closed).</param>
    private sealed record RelayOutcome(bool Answered, int Status, CallVerdict Verdict, string? Skip, DateTimeOffset? QuotaUntil, string? Outcome = null);

    /// <summary>Copies the answer to the client as it arrives, reading usage on the way.</summary>
    private async Task<RelayOutcome> RelayAsync(CallContext ctx, HttpResponseMessage response, CallUsage usage)
    {
        var c = ctx.Http;
        var status = (int)response.StatusCode;
        var contentType = response.Content.Headers.ContentType?.ToString() ?? (ctx.Stream ? "text/event-stream" : "application/json");
        var isStream = ctx.Stream && response.IsSuccessStatusCode && contentType.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase);
        if (!isStream)
        {
            byte[] bytes;
            try
            {
                using var whole = CancellationTokenSource.CreateLinkedTokenSource(c.RequestAborted);
                whole.CancelAfter(gateway.IdleTimeout);
                bytes = await response.Content.ReadAsByteArrayAsync(whole.Token);
            }
            catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException && !c.RequestAborted.IsCancellationRequested)
            {
                return new RelayOutcome(false, status, CallVerdict.Failure, "answer cut or silent before it was complete", null);
            }

            if (response.IsSuccessStatusCode && !usage.ReadJson(bytes))
                return new RelayOutcome(false, status, CallVerdict.Failure, "malformed answer (not JSON)", null);
            bytes = keys.Redactor.Redact(bytes, errorText: !response.IsSuccessStatusCode);

            usage.FirstTokenMs = ctx.Clock.Elapsed.TotalMilliseconds;
            c.Response.StatusCode = status;
            c.Response.ContentType = contentType;
            await c.Response.Body.WriteAsync(bytes, c.RequestAborted);
            return new RelayOutcome(true, status, CallVerdict.Success, null, null);
        }

        await using var upstream = await response.Content.ReadAsStreamAsync(c.RequestAborted);
        var buffer = new byte[16 * 1024];
        var lines = new SseUsageReader(usage);
        var redactor = new StreamRedactor(keys.Redactor);
        var started = false;
        try
        {
            while (true)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(c.RequestAborted);
                idle.CancelAfter(gateway.IdleTimeout);
                var n = await upstream.ReadAsync(buffer, idle.Token);
                lines.Feed(buffer.AsSpan(0, n)); // before the write: a client that leaves now still has its usage booked
                var output = n == 0 ? redactor.Flush() : redactor.Feed(buffer.AsSpan(0, n));
                if (output.Length == 0)
                {
                    if (n == 0)
                        break;
                    continue;
                }

                if (!started)
                {
                    // Nothing reached the client before this: headers go now, with the first bytes.
                    started = true;
                    usage.FirstTokenMs = ctx.Clock.Elapsed.TotalMilliseconds;
                    c.Response.StatusCode = status;
                    c.Response.ContentType = contentType;
                    c.Response.Headers.CacheControl = "no-cache";
                }

                await c.Response.Body.WriteAsync(output, c.RequestAborted);
                await c.Response.Body.FlushAsync(c.RequestAborted);
                if (n == 0)
                    break;
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException && !c.RequestAborted.IsCancellationRequested)
        {
            if (!started)
                return new RelayOutcome(false, status, CallVerdict.Failure, "stream cut or silent before any output", null);

            // Output already reached the client: never retried elsewhere; the client sees the stream end early.
            c.Abort();
            return new RelayOutcome(true, status, CallVerdict.Failure, "stream cut after output started", null);
        }

        if (!started)
            return new RelayOutcome(false, status, CallVerdict.Failure, "empty stream", null);
        return new RelayOutcome(true, status, CallVerdict.Success, null, null);
    }
}
