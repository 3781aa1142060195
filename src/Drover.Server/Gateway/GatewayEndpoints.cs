using Drover.Core.Configuration;
using Drover.Core.Secrets;
using Drover.Core.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Drover.Server.Gateway;

/// <summary>The OpenAI- and Anthropic-compatible endpoint of <c>drover serve</c> when <c>[gateway] enabled = true</c>.</summary>
public static class GatewayEndpoints
{
    /// <summary>Maps <c>/v1/chat/completions</c>, <c>/v1/responses</c>, <c>/v1/messages</c> and <c>/v1/models</c>.</summary>
    public static GatewayProxy MapGateway(this WebApplication app, DroverConfig config, string secretsPath, IJobStore store, TimeProvider time)
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
        var proxy = new GatewayProxy(
            config.Gateway,
            config.Providers,
            config.Routes,
            p => p.ApiKeyEnv is { } env ? Environment.GetEnvironmentVariable(env) : p.ApiKeySecret is { } name ? secrets.Get(name) : null,
            http,
            new GatewayAccounting(store, config.Budgets, time));

        app.MapPost("/v1/chat/completions", proxy.Handler(GatewayProtocol.Chat));
        app.MapPost("/v1/responses", proxy.Handler(GatewayProtocol.Responses));
        app.MapPost("/v1/messages", proxy.Handler(GatewayProtocol.Messages));
        app.MapGet("/v1/models", () => Results.Json(new
        {
            @object = "list",
            data = config.Routes.Keys.Concat(config.Providers.SelectMany(p => p.Models.Select(m => $"{p.Name}/{m}")))
                .Select(id => new { id, @object = "model", owned_by = "drover" }),
        }));
        return proxy;
    }
}
