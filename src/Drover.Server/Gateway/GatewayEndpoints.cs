using System.Text.Json;
using Drover.Core.Configuration;
using Drover.Core.Secrets;
using Drover.Core.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Drover.Server.Gateway;

/// <summary>The OpenAI-compatible endpoint of <c>drover serve</c> when <c>[gateway] enabled = true</c>.</summary>
public static class GatewayEndpoints
{
    /// <summary>Maps <c>/v1/chat/completions</c> and <c>/v1/models</c>; each call is recorded as a <c>gateway.request</c> event.</summary>
    public static ChatProxy MapGateway(this WebApplication app, DroverConfig config, string secretsPath, IJobStore store, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(config);
        var secrets = new SecretStore(secretsPath);
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = config.Gateway.FirstByteTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            AllowAutoRedirect = false,
            UseProxy = false,
        };
        var http = new HttpMessageInvoker(handler);
        var proxy = new ChatProxy(
            config.Gateway,
            config.Providers,
            config.Routes,
            p => p.ApiKeyEnv is { } env ? Environment.GetEnvironmentVariable(env) : p.ApiKeySecret is { } name ? secrets.Get(name) : null,
            http,
            async (call, ct) =>
            {
                // Metadata only: the gateway never stores prompt or completion text. Input is recorded fresh (cache reads apart).
                var fresh = Math.Max(0, call.InputTokens - call.CachedInputTokens);
                var data = JsonSerializer.Serialize(new
                {
                    job = call.JobId,
                    attempt = call.Attempt,
                    model = call.Model,
                    provider = call.Provider,
                    upstream_model = call.UpstreamModel,
                    outcome = call.Outcome,
                    status = call.Status,
                    input_tokens = fresh,
                    cached_input_tokens = call.CachedInputTokens,
                    output_tokens = call.OutputTokens,
                    reasoning_tokens = call.ReasoningTokens,
                    cost_usd = call.CostUsd,
                    cost_source = call.CostUsd is null ? "unknown" : "priced",
                    latency_ms = Math.Round(call.LatencyMs, 3),
                    first_token_ms = call.FirstTokenMs is { } f ? Math.Round(f, 3) : (double?)null,
                    skipped = call.Skipped,
                });
                var now = time.GetUtcNow();
                await store.SpendAppendAsync(new SpendRecord(now, call.JobId, call.Attempt, call.Provider, call.Model, call.UpstreamModel, call.Outcome, call.Status,
                    fresh, call.CachedInputTokens, call.OutputTokens, call.ReasoningTokens,
                    call.CostUsd, call.LatencyMs, call.FirstTokenMs), ct);
                await store.EventAppendAsync(new EventAppendParams("gateway.request", call.JobId, null, data, now), ct);
            });

        app.MapPost("/v1/chat/completions", proxy.HandleAsync);
        app.MapGet("/v1/models", () => Results.Json(new
        {
            @object = "list",
            data = config.Routes.Keys.Concat(config.Providers.SelectMany(p => p.Models.Select(m => $"{p.Name}/{m}")))
                .Select(id => new { id, @object = "model", owned_by = "drover" }),
        }));
        return proxy;
    }
}
