using Drover.Core.Configuration;
using Drover.Core.Gateway;
using Drover.Core.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Drover.Server.Gateway;

/// <summary>The OpenAI- and Anthropic-compatible endpoint of <c>drover serve</c> when <c>[gateway] enabled = true</c>.</summary>
public static class GatewayEndpoints
{
    /// <summary>Maps <c>/v1/chat/completions</c>, <c>/v1/responses</c>, <c>/v1/messages</c> and <c>/v1/models</c>.</summary>
    public static Func<CancellationToken, Task> MapGateway(this WebApplication app, DroverConfig config, string secretsPath, IJobStore store, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(config);
        var keys = new GatewayKeys(config.Providers, secretsPath);
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = config.Gateway.FirstByteTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            AllowAutoRedirect = false,
            UseProxy = false,
        };
        var http = new HttpMessageInvoker(handler);
        var books = new GatewayAccounting(store, config.Budgets, time);
        var proxy = new GatewayProxy(config.Gateway, config.Providers, config.Routes, keys, http, books);

        app.MapPost("/v1/chat/completions", proxy.Handler(GatewayProtocol.Chat));
        app.MapPost("/v1/responses", proxy.Handler(GatewayProtocol.Responses));
        app.MapPost("/v1/messages", proxy.Handler(GatewayProtocol.Messages));
        app.MapGet("/v1/models", () => Results.Json(new
        {
            @object = "list",
            data = config.Routes.Keys.Concat(config.Providers.SelectMany(p => p.Models.Select(m => $"{p.Name}/{m}")))
                .Select(id => new { id, @object = "model", owned_by = "drover" }),
        }));
        return ct => ProbeLoopAsync(config, http, keys, books, ct);
    }

    /// <summary>
    /// Probes providers with <c>health_check</c> (those on a loopback address, unless configured otherwise) with GET
    /// /models every <c>health_interval</c>: never a generating call. A failed probe counts against the circuit, so a
    /// local server that went down is skipped without spending a client's request on it.
    /// </summary>
    private static async Task ProbeLoopAsync(DroverConfig config, HttpMessageInvoker http, GatewayKeys keys, GatewayAccounting books, CancellationToken ct)
    {
        var probed = config.Providers.Where(p => p.HealthCheck).ToList();
        if (probed.Count == 0)
            return;
        using var timer = new PeriodicTimer(config.Gateway.HealthInterval);
        do
        {
            foreach (var p in probed)
            {
                var key = keys.Lookup(p);
                if (key.Problem is not null)
                    continue; // no key to probe with: says nothing of the provider's health, so its circuit is left alone
                var (healthy, detail) = await ProbeAsync(p, http, key.Key, ct);
                try
                {
                    await books.Store.ProviderHealthAsync(p.Name, healthy, detail, books.Now, ct);
                    if (!healthy)
                    {
                        await books.ReportAsync(new ProviderReportParams(p.Name, null, false, CallVerdict.Failure, $"health probe: {detail}", null, 0, books.Now), ct);
                    }
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A store hiccup loses one probe's record; the next tick tries again.
                }
            }
        }
        while (await timer.WaitForNextTickAsync(ct).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default));
    }

    private static async Task<(bool Healthy, string? Detail)> ProbeAsync(ProviderConfig p, HttpMessageInvoker http, string? key, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(p.BaseUrl.ToString().TrimEnd('/') + "/models"));
        if (key is { Length: > 0 })
        {
            if (p.Kind == "anthropic")
                request.Headers.TryAddWithoutValidation("x-api-key", key);
            else
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            using var response = await http.SendAsync(request, timeout.Token);
            return response.IsSuccessStatusCode ? (true, null) : (false, $"GET /models answered HTTP {(int)response.StatusCode}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (false, "GET /models: no answer within 5 s");
        }
        catch (HttpRequestException e)
        {
            return (false, e.HttpRequestError == HttpRequestError.ConnectionError ? "connection refused or unreachable" : Core.Secrets.UpstreamRedactor.None.Redact(e.Message));
        }
    }
}
