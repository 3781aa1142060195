using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Drover.IntegrationTests.Gateway;

/// <summary>How a fake provider answers the next calls.</summary>
public enum UpstreamMode
{
    Ok,
    Status500,
    Status429,
    HangBeforeHeaders,
    CutMidStream,
    ContextLength,
}

/// <summary>
/// An OpenAI chat-completions provider on 127.0.0.1 whose faults are chosen by the test: it answers
/// "Hello from NAME" (streamed in two chunks when asked) with fixed usage, or fails as <see cref="Mode"/> says.
/// </summary>
public sealed class FakeUpstream : IAsyncDisposable
{
    public const long PromptTokens = 1200;
    public const long CachedTokens = 1000;
    public const long CompletionTokens = 30;

    private readonly WebApplication _app;
    private int _calls;

    private FakeUpstream(WebApplication app, string name, int port)
    {
        _app = app;
        Name = name;
        Port = port;
    }

    public string Name { get; }

    public int Port { get; }

    public string BaseUrl => $"http://127.0.0.1:{Port}/v1";

    public UpstreamMode Mode { get; set; }

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>The last request body, to check what the gateway forwarded.</summary>
    public JsonObject? LastBody { get; private set; }

    public static async Task<FakeUpstream> StartAsync(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        FakeUpstream? self = null;
        app.MapPost("/v1/chat/completions", (HttpContext c) => self!.AnswerAsync(c));
        await app.StartAsync();
        var port = new Uri(app.Urls.First()).Port;
        self = new FakeUpstream(app, name, port);
        return self;
    }

    private async Task AnswerAsync(HttpContext c)
    {
        Interlocked.Increment(ref _calls);
        var body = (await JsonNode.ParseAsync(c.Request.Body))!.AsObject();
        LastBody = body;
        var model = body["model"]!.GetValue<string>();
        switch (Mode)
        {
            case UpstreamMode.Status500:
                c.Response.StatusCode = 500;
                await c.Response.WriteAsJsonAsync(new { error = new { message = "upstream exploded", type = "server_error" } });
                return;
            case UpstreamMode.Status429:
                c.Response.StatusCode = 429;
                c.Response.Headers.RetryAfter = "1";
                await c.Response.WriteAsJsonAsync(new { error = new { message = "rate limit reached", type = "rate_limit_error" } });
                return;
            case UpstreamMode.HangBeforeHeaders:
                await Task.Delay(TimeSpan.FromSeconds(30), c.RequestAborted);
                return;
            case UpstreamMode.ContextLength:
                c.Response.StatusCode = 400;
                await c.Response.WriteAsJsonAsync(new { error = new { message = "This model's maximum context length is 8192 tokens", code = "context_length_exceeded" } });
                return;
        }

        var text = $"Hello from {Name}";
        var usage = new JsonObject
        {
            ["prompt_tokens"] = PromptTokens,
            ["completion_tokens"] = CompletionTokens,
            ["total_tokens"] = PromptTokens + CompletionTokens,
            ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = CachedTokens },
        };
        if (body["stream"]?.GetValue<bool>() != true)
        {
            await c.Response.WriteAsJsonAsync(new JsonObject
            {
                ["id"] = "chatcmpl-1",
                ["object"] = "chat.completion",
                ["created"] = 1_700_000_000,
                ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0,
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = text },
                    ["finish_reason"] = "stop",
                }),
                ["usage"] = usage,
            });
            return;
        }

        c.Response.ContentType = "text/event-stream";
        async Task ChunkAsync(JsonObject delta, string? finish, JsonNode? chunkUsage = null, bool noChoices = false)
        {
            var chunk = new JsonObject
            {
                ["id"] = "chatcmpl-1",
                ["object"] = "chat.completion.chunk",
                ["created"] = 1_700_000_000,
                ["model"] = model,
                ["choices"] = noChoices ? new JsonArray() : new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }),
                ["usage"] = chunkUsage,
            };
            await c.Response.WriteAsync($"data: {chunk.ToJsonString()}\n\n");
            await c.Response.Body.FlushAsync();
        }

        await ChunkAsync(new JsonObject { ["role"] = "assistant", ["content"] = text[..5] }, null);
        if (Mode == UpstreamMode.CutMidStream)
        {
            await Task.Delay(100);
            c.Abort();
            return;
        }

        await ChunkAsync(new JsonObject { ["content"] = text[5..] }, null);
        await ChunkAsync([], "stop");
        if (body["stream_options"]?["include_usage"]?.GetValue<bool>() == true)
            await ChunkAsync([], null, usage, noChoices: true);
        await c.Response.WriteAsync("data: [DONE]\n\n");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
