using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Core.Configuration;
using Microsoft.AspNetCore.Http;

namespace Drover.Server.Gateway;

/// <summary>What one gateway request did, for spend records and provider health: never prompt or completion text.</summary>
public sealed record GatewayCall(
    long? JobId,
    int? Attempt,
    string Model,
    string? Provider,
    string? UpstreamModel,
    string Outcome,
    int Status,
    long InputTokens,
    long CachedInputTokens,
    long OutputTokens,
    long ReasoningTokens,
    decimal? CostUsd,
    double LatencyMs,
    double? FirstTokenMs,
    IReadOnlyList<string> Skipped);

/// <summary>
/// <c>POST /v1/chat/completions</c> along a route (SPEC §9): each provider in turn until one answers. A provider is
/// skipped on a connection error, no response headers within the first-byte timeout, 429, 5xx or a context-length
/// error; once the first byte of an answer has gone to the client nothing is retried. Streams pass through as they
/// arrive (usage read from the chunks; <c>stream_options.include_usage</c> is added when the client did not ask).
/// The gateway owns the retry loop: its HTTP client never retries on its own.
/// </summary>
public sealed class ChatProxy(
    GatewayConfig gateway,
    IReadOnlyList<ProviderConfig> providers,
    IReadOnlyDictionary<string, RouteConfig> routes,
    Func<ProviderConfig, string?> apiKey,
    HttpMessageInvoker http,
    Func<GatewayCall, CancellationToken, Task> record)
{
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    /// <summary>Where a model name a client sends goes: a route alias, <c>provider/model</c>, or every provider listing the model.</summary>
    public IReadOnlyList<(ProviderConfig Provider, string Model)> Resolve(string model)
    {
        if (routes.TryGetValue(model, out var route))
            return [.. route.Cascade.Select(name => providers.First(p => p.Name == name)).Select(p => (p, p.Models[0]))];
        var slash = model.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0 && providers.FirstOrDefault(p => p.Name == model[..slash]) is { } named)
            return [(named, model[(slash + 1)..])];
        return [.. providers.Where(p => p.Models.Contains(model, StringComparer.Ordinal)).Select(p => (p, model))];
    }

    public async Task HandleAsync(HttpContext c)
    {
        var clock = Stopwatch.StartNew();
        var (jobId, attemptNo) = c.Items[Api.BearerAuth.JobKeyItem] is ValueTuple<long, int> who ? ((long?)who.Item1, (int?)who.Item2) : (null, null);
        JsonObject body;
        try
        {
            body = (await JsonNode.ParseAsync(c.Request.Body, cancellationToken: c.RequestAborted))?.AsObject() ?? throw new JsonException("empty body");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            await ErrorAsync(c, 400, "invalid_request_error", $"the body is not a JSON object: {e.Message}", "body");
            return;
        }

        if (body["model"] is not JsonValue modelNode || modelNode.GetValueKind() != JsonValueKind.String || modelNode.GetValue<string>() is not { Length: > 0 } model)
        {
            await ErrorAsync(c, 400, "invalid_request_error", "model is required", "model");
            return;
        }

        var candidates = Resolve(model);
        if (candidates.Count == 0)
        {
            await ErrorAsync(c, 404, "model_not_found", $"no route or provider serves model \"{model}\"", "model");
            return;
        }

        var stream = body["stream"] is JsonValue s && s.GetValueKind() == JsonValueKind.True;
        if (stream && body["stream_options"]?["include_usage"] is null)
        {
            var options = body["stream_options"] as JsonObject ?? [];
            options["include_usage"] = true;
            body["stream_options"] = options;
        }

        var skipped = new List<string>();
        for (var i = 0; i < candidates.Count; i++)
        {
            var (provider, upstreamModel) = candidates[i];
            body["model"] = upstreamModel;
            var attempt = await SendAsync(provider, body, c.RequestAborted);
            if (attempt.Skip is { } why)
            {
                skipped.Add($"{provider.Name}: {why}");
                // Retry-After on the last provider: wait if it is short, then try it once more.
                if (i == candidates.Count - 1 && attempt.RetryAfter is { } wait && wait <= gateway.MaxRetryAfter && !attempt.Retried)
                {
                    await Task.Delay(wait, c.RequestAborted);
                    attempt = await SendAsync(provider, body, c.RequestAborted) with { Retried = true };
                    if (attempt.Skip is { } again)
                    {
                        skipped.Add($"{provider.Name}: {again}");
                        break;
                    }
                }
                else
                {
                    continue;
                }
            }

            using var response = attempt.Response!;
            var usage = await RelayAsync(c, response, stream, clock);
            var cost = provider.Price is { } price && usage.Any ? price.Cost(usage.ToRecord(upstreamModel)) : (decimal?)null;
            await record(new GatewayCall(jobId, attemptNo, model, provider.Name, upstreamModel, usage.Error ?? (response.IsSuccessStatusCode ? "ok" : "client_error"),
                (int)response.StatusCode, usage.Input, usage.Cached, usage.Output, usage.Reasoning, cost,
                clock.Elapsed.TotalMilliseconds, usage.FirstTokenMs, skipped), CancellationToken.None);
            return;
        }

        await ErrorAsync(c, 502, "upstream_error", "every provider failed: " + string.Join("; ", skipped), null);
        await record(new GatewayCall(jobId, attemptNo, model, null, null, "all_failed", 502, 0, 0, 0, 0, null, clock.Elapsed.TotalMilliseconds, null, skipped), CancellationToken.None);
    }

    private sealed record Attempt(HttpResponseMessage? Response, string? Skip, TimeSpan? RetryAfter, bool Retried = false);

    private async Task<Attempt> SendAsync(ProviderConfig provider, JsonObject body, CancellationToken aborted)
    {
        var url = new Uri(provider.BaseUrl.ToString().TrimEnd('/') + "/chat/completions");
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(body.ToJsonString(Compact), Encoding.UTF8, "application/json"),
        };
        if (apiKey(provider) is { Length: > 0 } key)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);

        using var firstByte = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        firstByte.CancelAfter(gateway.FirstByteTimeout);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, firstByte.Token);
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            return new Attempt(null, $"no response within {gateway.FirstByteTimeout.TotalSeconds:0.#} s", null);
        }
        catch (HttpRequestException e)
        {
            return new Attempt(null, e.HttpRequestError switch
            {
                HttpRequestError.ConnectionError => "connection failed",
                _ => e.Message,
            }, null);
        }

        var status = (int)response.StatusCode;
        if (status == 429 || status >= 500)
        {
            var retryAfter = response.Headers.RetryAfter?.Delta
                ?? (response.Headers.RetryAfter?.Date is { } at ? at - DateTimeOffset.UtcNow : null);
            var text = await ShortTextAsync(response, aborted);
            response.Dispose();
            return new Attempt(null, $"HTTP {status}{(text.Length > 0 ? ": " + text : "")}", retryAfter);
        }

        if (status == 400)
        {
            // A context-length error may fit a provider with a longer window: try the next one.
            var text = await response.Content.ReadAsStringAsync(aborted);
            if (text.Contains("context_length", StringComparison.OrdinalIgnoreCase) || text.Contains("context length", StringComparison.OrdinalIgnoreCase)
                || text.Contains("maximum context", StringComparison.OrdinalIgnoreCase))
            {
                response.Dispose();
                return new Attempt(null, "context length exceeded", null);
            }

            // Any other 400 is the client's: pass it on as it was.
            var copy = new HttpResponseMessage(response.StatusCode) { Content = new StringContent(text, Encoding.UTF8, response.Content.Headers.ContentType?.MediaType ?? "application/json") };
            response.Dispose();
            return new Attempt(copy, null, null);
        }

        return new Attempt(response, null, null);
    }

    private static async Task<string> ShortTextAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            try
            {
                if (JsonNode.Parse(text)?["error"]?["message"]?.GetValue<string>() is { } message)
                    text = message;
            }
            catch (JsonException)
            {
            }

            text = text.ReplaceLineEndings(" ").Trim();
            return text.Length <= 200 ? text : text[..200] + "…";
        }
        catch (HttpRequestException)
        {
            return "";
        }
    }

    /// <summary>Copies the answer to the client as it arrives, reading usage on the way.</summary>
    private async Task<StreamUsage> RelayAsync(HttpContext c, HttpResponseMessage response, bool stream, Stopwatch clock)
    {
        var usage = new StreamUsage();
        c.Response.StatusCode = (int)response.StatusCode;
        c.Response.ContentType = response.Content.Headers.ContentType?.ToString() ?? (stream ? "text/event-stream" : "application/json");
        if (!stream || !response.IsSuccessStatusCode)
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(c.RequestAborted);
            usage.FirstTokenMs = clock.Elapsed.TotalMilliseconds;
            usage.ReadJson(bytes);
            await c.Response.Body.WriteAsync(bytes, c.RequestAborted);
            return usage;
        }

        c.Response.Headers.CacheControl = "no-cache";
        await using var upstream = await response.Content.ReadAsStreamAsync(c.RequestAborted);
        var buffer = new byte[16 * 1024];
        var lines = new SseLines(usage);
        try
        {
            while (true)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(c.RequestAborted);
                idle.CancelAfter(gateway.IdleTimeout);
                var n = await upstream.ReadAsync(buffer, idle.Token);
                if (n == 0)
                    break;
                usage.FirstTokenMs ??= clock.Elapsed.TotalMilliseconds;
                await c.Response.Body.WriteAsync(buffer.AsMemory(0, n), c.RequestAborted);
                await c.Response.Body.FlushAsync(c.RequestAborted);
                lines.Feed(buffer.AsSpan(0, n));
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException && !c.RequestAborted.IsCancellationRequested)
        {
            // Output already reached the client: never retried elsewhere; the client sees the stream end early.
            usage.Error = "cut_mid_stream";
            c.Abort();
        }

        return usage;
    }

    private static async Task ErrorAsync(HttpContext c, int status, string type, string message, string? param)
    {
        c.Response.StatusCode = status;
        await c.Response.WriteAsJsonAsync(new { error = new { message, type, param, code = type } });
    }

    /// <summary>Usage as the upstream reported it (OpenAI chat: prompt tokens include cached ones).</summary>
    private sealed class StreamUsage
    {
        public long Input { get; private set; }

        public long Cached { get; private set; }

        public long Output { get; private set; }

        public long Reasoning { get; private set; }

        public bool Any => Input + Output > 0;

        public double? FirstTokenMs { get; set; }

        public string? Error { get; set; }

        public void ReadJson(ReadOnlySpan<byte> json)
        {
            try
            {
                var usage = JsonNode.Parse(json)?["usage"];
                if (usage is JsonObject u)
                {
                    Input = Long(u["prompt_tokens"]);
                    Cached = Long(u["prompt_tokens_details"]?["cached_tokens"]);
                    Output = Long(u["completion_tokens"]);
                    Reasoning = Long(u["completion_tokens_details"]?["reasoning_tokens"]);
                }
            }
            catch (JsonException)
            {
                // Not ours to judge: the client gets the bytes as they came.
            }
        }

        public Core.Jobs.UsageRecord ToRecord(string model) =>
            new(Math.Max(0, Input - Cached), Cached, Output, 0m, "unknown", model) { ReasoningTokens = Reasoning };

        private static long Long(JsonNode? n) => n is JsonValue v && v.TryGetValue<long>(out var x) ? x : 0;
    }

    /// <summary>Splits an SSE byte stream into <c>data:</c> lines and reads usage from them.</summary>
    private sealed class SseLines(StreamUsage usage)
    {
        private readonly List<byte> _line = [];

        public void Feed(ReadOnlySpan<byte> bytes)
        {
            foreach (var b in bytes)
            {
                if (b != (byte)'\n')
                {
                    if (_line.Count < 1 << 20)
                        _line.Add(b);
                    continue;
                }

                var line = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_line);
                if (line.StartsWith("data:"u8))
                {
                    var data = line[5..].Trim((byte)' ').TrimEnd((byte)'\r');
                    if (data.Length > 0 && data[0] == (byte)'{' && data.IndexOf("\"usage\""u8) >= 0)
                        usage.ReadJson(data);
                }

                _line.Clear();
            }
        }
    }
}
