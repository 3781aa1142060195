using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Drover.IntegrationTests.Alerts;

/// <summary>How an alert sink on 127.0.0.1 answers.</summary>
public enum SinkMode
{
    Ok,
    Status500,

    /// <summary>Reads the request, then never answers.</summary>
    Hang,
}

/// <summary>A webhook receiver on 127.0.0.1 that records every body it gets; <see cref="FailFirst"/> answers 500 that many times first.</summary>
public sealed class AlertReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _failures;

    private AlertReceiver(WebApplication app, int port)
    {
        _app = app;
        Url = $"http://127.0.0.1:{port}/hook";
    }

    public string Url { get; }

    public SinkMode Mode { get; set; }

    public int FailFirst { get; set; }

    /// <summary>Every request: body and headers, in arrival order.</summary>
    public ConcurrentQueue<(string Body, Dictionary<string, string> Headers)> Received { get; } = new();

    public int Requests => Received.Count;

    public static async Task<AlertReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        AlertReceiver? self = null;
        app.MapPost("/hook", async (HttpContext ctx) =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            var body = await reader.ReadToEndAsync(ctx.RequestAborted);
            // Copied: Kestrel reuses a request's header collection once it ends.
            self!.Received.Enqueue((body, ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
            if (self.Mode == SinkMode.Hang)
            {
                await Task.Delay(Timeout.Infinite, ctx.RequestAborted).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                return Results.Empty;
            }

            if (self.Mode == SinkMode.Status500 || Interlocked.Increment(ref self._failures) <= self.FailFirst)
                return Results.StatusCode(500);
            return Results.Ok();
        });
        await app.StartAsync();
        var address = app.Urls.First();
        self = new AlertReceiver(app, new Uri(address).Port);
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
    }
}
