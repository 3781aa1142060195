using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Core.Configuration;
using Drover.Core.Gateway;
using Drover.Core.Storage;
using Microsoft.AspNetCore.Http;

namespace Drover.Server.Gateway;

/// <summary>
/// The gateway's request loop (SPEC §9), the same for chat completions, Responses and Messages: resolve the model to a
/// cascade of providers; for each in turn check its circuit, quota and limits (fleet-wide, in the store) and hold the
/// call's worst case against every budget; send; on a connection error, no first byte in time, 429, 5xx, a
/// context-length error, a malformed answer or a stream that goes silent before any output reached the client, go on
/// to the next provider. Once output reached the client nothing is retried. Streams pass through as they arrive.
/// The gateway owns the retry loop: its HTTP client never retries on its own.
/// </summary>
public sealed partial class GatewayProxy(
    GatewayConfig gateway,
    IReadOnlyList<ProviderConfig> providers,
    IReadOnlyDictionary<string, RouteConfig> routes,
    GatewayKeys keys,
    HttpMessageInvoker http,
    GatewayAccounting books)
{
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    /// <summary>How long a half-open probe may run before another process may probe instead.</summary>
    private TimeSpan ProbeTtl => gateway.FirstByteTimeout + gateway.IdleTimeout;

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

    public RequestDelegate Handler(GatewayProtocol protocol) => c => HandleAsync(c, protocol);

    private async Task HandleAsync(HttpContext c, GatewayProtocol protocol)
    {
        var clock = Stopwatch.StartNew();
        var (jobId, attemptNo) = c.Items[Api.BearerAuth.JobKeyItem] is ValueTuple<long, int> who ? ((long?)who.Item1, (int?)who.Item2) : (null, null);
        byte[] raw;
        JsonObject body;
        try
        {
            using var buffer = new MemoryStream();
            await c.Request.Body.CopyToAsync(buffer, c.RequestAborted);
            raw = buffer.ToArray();
            body = JsonNode.Parse(raw)?.AsObject() ?? throw new JsonException("empty body");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            await ErrorAsync(c, protocol, 400, "invalid_request_error", $"the body is not a JSON object: {e.Message}", "body");
            return;
        }

        if (body["model"] is not JsonValue modelNode || modelNode.GetValueKind() != JsonValueKind.String || modelNode.GetValue<string>() is not { Length: > 0 } model)
        {
            await ErrorAsync(c, protocol, 400, "invalid_request_error", "model is required", "model");
            return;
        }

        var resolved = Resolve(model);
        var candidates = resolved.Where(x => x.Provider.Kind == protocol.ProviderKind).ToList();
        if (candidates.Count == 0)
        {
            var why = resolved.Count == 0
                ? $"no route or provider serves model \"{model}\""
                : $"model \"{model}\" is served only by {string.Join(", ", resolved.Select(x => $"{x.Provider.Name} ({x.Provider.Kind})"))}, not by a provider of kind {protocol.ProviderKind} that /v1{protocol.Path} needs";
            await ErrorAsync(c, protocol, 404, "model_not_found", why, "model");
            return;
        }

        var stream = body["stream"] is JsonValue s && s.GetValueKind() == JsonValueKind.True;
        if (stream && protocol == GatewayProtocol.Chat && body["stream_options"]?["include_usage"] is null)
        {
            var options = body["stream_options"] as JsonObject ?? [];
            options["include_usage"] = true;
            body["stream_options"] = options;
        }

        // Worst case for budgets and tpm: every byte of the request a token is too pessimistic; a third is generous for any tokenizer.
        var inputEstimate = Math.Max(1, raw.Length / 3);
        var scopes = await books.ScopesAsync(jobId, c.RequestAborted);
        var skipped = new List<string>();
        string? budgetRefusal = null;
        string? budgetScope = null;
        var ctx = new CallContext(c, protocol, jobId, attemptNo, model, stream, clock);
        string? keyProblem = null;
        var keyless = new HashSet<string>(StringComparer.Ordinal);

        // One round along the cascade; a second only when every provider asked for a short wait (Retry-After, a limit
        // freeing) within max_retry_after.
        for (var round = 0; round < 2; round++)
        {
            TimeSpan? shortestWait = null;
            foreach (var (provider, upstreamModel) in candidates)
            {
                if (keys.Lookup(provider).Problem is { } problem)
                {
                    // A damaged secrets file: this provider cannot be called, others may still be.
                    keyProblem = problem;
                    keyless.Add(provider.Name);
                    skipped.Add($"{provider.Name}: its API key is unavailable: {problem}");
                    continue;
                }

                var maxOutput = protocol.MaxOutput(body) ?? provider.MaxOutputTokens;
                var worstTokens = inputEstimate + maxOutput;
                var worstUsd = provider.Price is { } p ? ((inputEstimate * p.Input) + (maxOutput * p.Output)) / 1_000_000m : 0m;
                if (provider.Price is null && scopes.FirstOrDefault(x => x.LimitUsd is not null) is { } usdScope)
                {
                    // Its cost cannot be known, so a USD budget cannot be held against it: refuse rather than spend blind.
                    var unpriced = $"provider {provider.Name} has no price, so budget {usdScope.Key} (USD) cannot be enforced on it; give it a price (0 if it is free)";
                    (budgetRefusal, budgetScope) = (unpriced, usdScope.Key);
                    skipped.Add($"{provider.Name}: {unpriced}");
                    continue;
                }

                var hold = await books.ReserveAsync(scopes, worstUsd, worstTokens, c.RequestAborted);
                if (!hold.Granted)
                {
                    (budgetRefusal, budgetScope) = (hold.Why, hold.RefusedScope);
                    skipped.Add($"{provider.Name}: {hold.Why}");
                    continue;
                }

                var admission = await books.Store.ProviderAdmitAsync(
                    new ProviderAdmitParams(provider.Name, new ProviderLimits(provider.Rpm, provider.Rpd, provider.Tpm, provider.MaxConcurrent), worstTokens, books.Now, ProbeTtl, ProbeTtl),
                    c.RequestAborted);
                if (!admission.Admitted)
                {
                    await books.SettleAsync(hold.HoldId, scopes, 0m, 0, jobId, CancellationToken.None);
                    skipped.Add($"{provider.Name}: {admission.Why}");
                    if (admission.RetryAt is { } at && at - books.Now is var wait && wait > TimeSpan.Zero)
                        shortestWait = shortestWait is { } w && w < wait ? w : wait;
                    continue;
                }

                body["model"] = upstreamModel;
                var result = await TryProviderAsync(ctx, provider, upstreamModel, body, admission, hold.HoldId, scopes, skipped);
                if (result.Done)
                    return;
                skipped.Add($"{provider.Name}: {result.Skip}");
                if (result.RetryAfter is { } ra)
                    shortestWait = shortestWait is { } w && w < ra ? w : ra;
            }

            if (round == 0 && budgetRefusal is null && shortestWait is { } delay && delay <= gateway.MaxRetryAfter)
            {
                await Task.Delay(delay, c.RequestAborted);
                continue;
            }

            break;
        }

        if (budgetRefusal is not null)
        {
            await ErrorAsync(c, protocol, 400, "budget_exceeded", $"budget exceeded: {budgetRefusal}", null);
            await books.RecordAsync(ctx.Call(null, null, "budget_exceeded", 400, null, null, skipped), true, CancellationToken.None);
            await books.ExhaustedAsync(jobId, attemptNo, budgetScope!, budgetRefusal, CancellationToken.None);
            return;
        }

        if (keyProblem is not null && keyless.Count == candidates.Select(x => x.Provider.Name).Distinct().Count())
        {
            // Not the providers' fault nor the client's: the gateway cannot authenticate upstream until the file is fixed.
            c.Response.Headers.RetryAfter = "30";
            await ErrorAsync(c, protocol, 503, protocol.IsAnthropic ? "overloaded_error" : "service_unavailable", "the gateway cannot read its provider keys: " + keyProblem, null);
            await books.RecordAsync(ctx.Call(null, null, "unavailable", 503, null, null, skipped), true, CancellationToken.None);
            return;
        }

        await ErrorAsync(c, protocol, 502, protocol.IsAnthropic ? "api_error" : "upstream_error", "every provider failed: " + string.Join("; ", skipped), null);
        await books.RecordAsync(ctx.Call(null, null, "all_failed", 502, null, null, skipped), true, CancellationToken.None);
    }

    private sealed record CallContext(HttpContext Http, GatewayProtocol Protocol, long? JobId, int? Attempt, string Model, bool Stream, Stopwatch Clock)
    {
        public GatewayCall Call(string? provider, string? upstreamModel, string outcome, int status, CallUsage? usage, decimal? cost, IReadOnlyList<string> skipped, double? latencyMs = null) =>
            new(JobId, Attempt, Protocol.Name, Model, provider, upstreamModel, outcome, status, usage?.Fresh ?? 0, usage?.Cached ?? 0, usage?.CacheWrite ?? 0,
                usage?.Output ?? 0, usage?.Reasoning ?? 0, cost, latencyMs ?? Clock.Elapsed.TotalMilliseconds, usage?.FirstTokenMs, [.. skipped]);
    }

    private sealed record ProviderResult(bool Done, string? Skip, TimeSpan? RetryAfter);

    /// <summary>One provider: send, and either answer the client (Done) or say why to go on to the next one.</summary>
    private async Task<ProviderResult> TryProviderAsync(
        CallContext ctx, ProviderConfig provider, string upstreamModel, JsonObject body, ProviderAdmission admission, long? hold, IReadOnlyList<BudgetScope> scopes,
        IReadOnlyList<string> skipped)
    {
        var c = ctx.Http;
        var started = ctx.Clock.Elapsed;
        var usage = new CallUsage(ctx.Protocol);
        Sent? sent = null;
        RelayOutcome relay;
        try
        {
            sent = await SendAsync(ctx, provider, body);
            if (sent.Response is { } response)
            {
                using (response)
                    relay = await RelayAsync(ctx, response, usage);
            }
            else
            {
                relay = new RelayOutcome(false, sent.Status, sent.Verdict, sent.Skip, sent.QuotaUntil);
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException && c.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nothing more to send, but what the provider was paid for is still booked.
            // A client that left after the answer's usage arrived (some close right after the last event) got it all.
            relay = usage.Any
                ? new RelayOutcome(true, 200, CallVerdict.Success, null, null, "ok")
                : new RelayOutcome(true, 499, CallVerdict.Neutral, null, null, "client_closed");
        }

        var cost = provider.Price is { } price && usage.Any ? price.Cost(usage.ToRecord(upstreamModel)) : (decimal?)null;
        if (relay.Answered)
        {
            // The client has its answer: the books are written after the response is complete, off its latency.
            try
            {
                await c.Response.CompleteAsync();
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
            {
                // The client went away; the books still count what the provider was paid for.
            }
        }

        await books.ReportAsync(
            new ProviderReportParams(provider.Name, admission.CallId, admission.Probe, relay.Verdict, relay.Skip, relay.QuotaUntil, usage.Total, books.Now),
            CancellationToken.None);
        await books.SettleAsync(hold, [.. scopes], cost ?? 0m, usage.Total, ctx.JobId, CancellationToken.None);
        var latency = (ctx.Clock.Elapsed - started).TotalMilliseconds;
        if (!relay.Answered)
        {
            await books.RecordAsync(ctx.Call(provider.Name, upstreamModel, "failover", relay.Status, usage, cost, [relay.Skip ?? ""], latency), false, CancellationToken.None);
            return new ProviderResult(false, relay.Skip, sent?.RetryAfter);
        }

        var outcome = relay.Outcome ?? (relay.Skip is not null ? "cut_mid_stream" : relay.Status is >= 200 and < 300 ? "ok" : "client_error");
        await books.RecordAsync(ctx.Call(provider.Name, upstreamModel, outcome, relay.Status, usage, cost, skipped, ctx.Clock.Elapsed.TotalMilliseconds), true, CancellationToken.None);
        return new ProviderResult(true, null, null);
    }

    private sealed record Sent(HttpResponseMessage? Response, int Status, CallVerdict Verdict, string? Skip, TimeSpan? RetryAfter, DateTimeOffset? QuotaUntil);

    private async Task<Sent> SendAsync(CallContext ctx, ProviderConfig provider, JsonObject body)
    {
        var aborted = ctx.Http.RequestAborted;
        var url = new Uri(provider.BaseUrl.ToString().TrimEnd('/') + ctx.Protocol.Path + ctx.Http.Request.QueryString);
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(body.ToJsonString(Compact), Encoding.UTF8, "application/json"),
        };
        var key = keys.Lookup(provider).Key;
        if (ctx.Protocol.IsAnthropic)
        {
            var headers = ctx.Http.Request.Headers;
            request.Headers.TryAddWithoutValidation("anthropic-version", headers["anthropic-version"] is { Count: > 0 } v ? v.ToString() : "2023-06-01");
            if (headers["anthropic-beta"] is { Count: > 0 } beta)
                request.Headers.TryAddWithoutValidation("anthropic-beta", beta.ToString());
            if (key is { Length: > 0 })
                request.Headers.TryAddWithoutValidation("x-api-key", key);
        }
        else if (key is { Length: > 0 })
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        using var firstByte = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        firstByte.CancelAfter(gateway.FirstByteTimeout);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, firstByte.Token);
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            return new Sent(null, 0, CallVerdict.Failure, $"no response within {gateway.FirstByteTimeout.TotalSeconds:0.#} s", null, null);
        }
        catch (HttpRequestException e)
        {
            return new Sent(null, 0, CallVerdict.Failure, e.HttpRequestError == HttpRequestError.ConnectionError ? "connection failed" : keys.Redactor.Redact(e.Message), null, null);
        }

        var status = (int)response.StatusCode;
        if (status == 429 || status >= 500 || status is 400 or 401 or 403 or 413)
        {
            var text = await ShortTextAsync(response, keys.Redactor, aborted);
            var retryAfter = response.Headers.RetryAfter?.Delta
                ?? (response.Headers.RetryAfter?.Date is { } at ? at - DateTimeOffset.UtcNow : null);
            var lower = text.ToLowerInvariant();
            if (status is 429 or 403 && (lower.Contains("quota", StringComparison.Ordinal) || lower.Contains("billing", StringComparison.Ordinal) || lower.Contains("credit", StringComparison.Ordinal)))
            {
                response.Dispose();
                var until = books.Now + (retryAfter is { } r && r > TimeSpan.Zero ? r : TimeSpan.FromHours(1));
                return new Sent(null, status, CallVerdict.Quota, $"quota exhausted (HTTP {status}: {text}); skipped until {until:yyyy-MM-ddTHH:mm:ssZ}", null, until);
            }

            if (status is 401 or 403)
            {
                // The provider refused the gateway's own key: a provider fault, not the client's.
                response.Dispose();
                return new Sent(null, status, CallVerdict.Failure, $"provider refused its API key (HTTP {status}{(text.Length > 0 ? ": " + Short(text) : "")})", null, null);
            }

            if (status is 429 || status >= 500)
            {
                response.Dispose();
                return new Sent(null, status, CallVerdict.Failure, $"HTTP {status}{(text.Length > 0 ? ": " + text : "")}", retryAfter, null);
            }

            if (lower.Contains("context_length", StringComparison.Ordinal) || lower.Contains("context length", StringComparison.Ordinal)
                || lower.Contains("maximum context", StringComparison.Ordinal) || lower.Contains("prompt is too long", StringComparison.Ordinal))
            {
                // May fit a provider with a longer window: try the next one. Says nothing about this provider's health.
                response.Dispose();
                return new Sent(null, status, CallVerdict.Neutral, "context length exceeded", null, null);
            }

            // Any other 4xx is the client's: pass it on as it was (the text was read; hand it back).
            var copy = new HttpResponseMessage(response.StatusCode) { Content = new StringContent(text, Encoding.UTF8, response.Content.Headers.ContentType?.MediaType ?? "application/json") };
            response.Dispose();
            return new Sent(copy, status, CallVerdict.Success, null, null, null);
        }

        return new Sent(response, status, CallVerdict.Success, null, null, null);
    }

    private static async Task ErrorAsync(HttpContext c, GatewayProtocol protocol, int status, string type, string message, string? param)
    {
        if (c.Response.HasStarted)
            return;
        c.Response.StatusCode = status;
        await c.Response.WriteAsJsonAsync(protocol.Error(type, message, param));
    }
}
