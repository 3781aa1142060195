using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Drover.IntegrationTests.Security;

/// <summary>How <see cref="EchoingUpstream"/> answers.</summary>
public enum EchoMode
{
    /// <summary>401 whose body quotes the key it was sent, raw and as a header line.</summary>
    Refuse401,

    /// <summary>500 whose body carries the key JSON-escaped and URL-encoded.</summary>
    Crash500,

    /// <summary>422 (handed to the client as it is) whose body quotes the key and an <c>x-api-key:</c> line.</summary>
    Reject422,

    /// <summary>A 200 stream whose second event is an error quoting the key.</summary>
    StreamError,
}

/// <summary>
/// A careless provider on 127.0.0.1 (OpenAI and Anthropic paths) that echoes the credential it was sent back in its
/// error bodies, as real providers have done.
/// </summary>
public sealed class EchoingUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _calls;

    private EchoingUpstream(WebApplication app, int port)
    {
        _app = app;
        BaseUrl = $"http://127.0.0.1:{port}/v1";
    }

    public string BaseUrl { get; }

    public EchoMode Mode { get; set; }

    public int Calls => Volatile.Read(ref _calls);

    public static async Task<EchoingUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        EchoingUpstream? self = null;
        app.MapPost("/v1/chat/completions", (HttpContext c) => self!.AnswerAsync(c));
        app.MapPost("/v1/messages", (HttpContext c) => self!.AnswerAsync(c));
        await app.StartAsync();
        self = new EchoingUpstream(app, new Uri(app.Urls.First()).Port);
        return self;
    }

    private async Task AnswerAsync(HttpContext c)
    {
        Interlocked.Increment(ref _calls);
        using (var reader = new StreamReader(c.Request.Body))
            await reader.ReadToEndAsync(c.RequestAborted);
        var auth = c.Request.Headers.Authorization.ToString();
        var key = auth.StartsWith("Bearer ", StringComparison.Ordinal) ? auth[7..] : c.Request.Headers["x-api-key"].ToString();
        var jsonKey = System.Text.Json.JsonSerializer.Serialize(key)[1..^1];
        switch (Mode)
        {
            case EchoMode.Refuse401:
                c.Response.StatusCode = 401;
                c.Response.ContentType = "application/json";
                await c.Response.WriteAsync(
                    $$$"""{"error":{"message":"Incorrect API key provided: {{{jsonKey}}}. Sent: Authorization: Bearer {{{jsonKey}}}","type":"invalid_request_error"}}""");
                return;
            case EchoMode.Crash500:
                c.Response.StatusCode = 500;
                c.Response.ContentType = "text/plain";
                await c.Response.WriteAsync($"upstream crashed; request was {{\"api_key\": \"{jsonKey}\"}} via https://x.test/?key={Uri.EscapeDataString(key)} with sk-live-0123456789abcdefXYZ");
                return;
            case EchoMode.Reject422:
                c.Response.StatusCode = 422;
                c.Response.ContentType = "application/json";
                await c.Response.WriteAsync($$$"""{"error":{"message":"bad request from key {{{jsonKey}}}; x-api-key: {{{jsonKey}}}","type":"invalid_request_error"}}""");
                return;
            case EchoMode.StreamError:
                c.Response.ContentType = "text/event-stream";
                await c.Response.WriteAsync("data: {\"id\":\"1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n");
                await c.Response.Body.FlushAsync();
                // Split mid-key across two writes: the gateway must still find it.
                var text = $"event: error\ndata: {{\"type\":\"error\",\"error\":{{\"type\":\"api_error\",\"message\":\"key {jsonKey} and Bearer {jsonKey} rejected\"}}}}\n\n";
                var frame = Encoding.UTF8.GetBytes(text);
                var cut = Encoding.UTF8.GetByteCount(text[..(text.IndexOf(jsonKey, StringComparison.Ordinal) + 5)]);
                await c.Response.Body.WriteAsync(frame.AsMemory(0, cut));
                await c.Response.Body.FlushAsync();
                await Task.Delay(50);
                await c.Response.Body.WriteAsync(frame.AsMemory(cut));
                await c.Response.WriteAsync("data: [DONE]\n\n");
                return;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
