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

    /// <summary>429 whose body says the quota is used up (with Retry-After 3600).</summary>
    Quota,

    /// <summary>200 whose body is not JSON.</summary>
    MalformedJson,

    /// <summary>Stream headers, then nothing: silent before any output.</summary>
    HangAfterHeaders,

    /// <summary>The first chunk of a stream, then silence.</summary>
    HangMidStream,
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
    public const long CacheWriteTokens = 50;

    private readonly WebApplication _app;
    private int _calls;
    private int _probes;

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

    /// <summary>GET /models health probes seen.</summary>
    public int Probes => Volatile.Read(ref _probes);

    /// <summary>The credential of the last call (Authorization or x-api-key), to check the gateway sent the provider's key.</summary>
    public string? LastCredential { get; private set; }

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
        app.MapPost("/v1/responses", (HttpContext c) => self!.AnswerResponsesAsync(c));
        app.MapPost("/v1/messages", (HttpContext c) => self!.AnswerMessagesAsync(c));
        app.MapGet("/v1/models", (HttpContext c) =>
        {
            Interlocked.Increment(ref self!._probes);
            return c.Response.WriteAsJsonAsync(new { @object = "list", data = new[] { new { id = "m", @object = "model" } } });
        });
        await app.StartAsync();
        var port = new Uri(app.Urls.First()).Port;
        self = new FakeUpstream(app, name, port);
        return self;
    }

    private async Task AnswerAsync(HttpContext c)
    {
        var body = await ReceiveAsync(c);
        var model = body["model"]!.GetValue<string>();
        if (await FaultAsync(c))
            return;
        switch (Mode)
        {
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

        if (Mode == UpstreamMode.HangMidStream)
        {
            await Task.Delay(TimeSpan.FromSeconds(30), c.RequestAborted);
            return;
        }

        await ChunkAsync(new JsonObject { ["content"] = text[5..] }, null);
        await ChunkAsync([], "stop");
        if (body["stream_options"]?["include_usage"]?.GetValue<bool>() == true)
            await ChunkAsync([], null, usage, noChoices: true);
        await c.Response.WriteAsync("data: [DONE]\n\n");
    }

    private async Task<JsonObject> ReceiveAsync(HttpContext c)
    {
        Interlocked.Increment(ref _calls);
        LastCredential = c.Request.Headers.Authorization.FirstOrDefault() ?? c.Request.Headers["x-api-key"].FirstOrDefault();
        var body = (await JsonNode.ParseAsync(c.Request.Body))!.AsObject();
        LastBody = body;
        return body;
    }

    /// <summary>The faults every protocol shares; true when one was served.</summary>
    private async Task<bool> FaultAsync(HttpContext c)
    {
        switch (Mode)
        {
            case UpstreamMode.Status500:
                c.Response.StatusCode = 500;
                await c.Response.WriteAsJsonAsync(new { error = new { message = "upstream exploded", type = "server_error" } });
                return true;
            case UpstreamMode.Status429:
                c.Response.StatusCode = 429;
                c.Response.Headers.RetryAfter = "1";
                await c.Response.WriteAsJsonAsync(new { error = new { message = "rate limit reached", type = "rate_limit_error" } });
                return true;
            case UpstreamMode.Quota:
                c.Response.StatusCode = 429;
                c.Response.Headers.RetryAfter = "3600";
                await c.Response.WriteAsJsonAsync(new { error = new { message = "You exceeded your current quota, please check your plan and billing details.", type = "insufficient_quota" } });
                return true;
            case UpstreamMode.HangBeforeHeaders:
                await Task.Delay(TimeSpan.FromSeconds(30), c.RequestAborted);
                return true;
            case UpstreamMode.MalformedJson:
                c.Response.ContentType = "application/json";
                await c.Response.WriteAsync("{\"choices\": [ this is not json");
                return true;
            case UpstreamMode.HangAfterHeaders:
                c.Response.ContentType = "text/event-stream";
                await c.Response.Body.FlushAsync();
                await Task.Delay(TimeSpan.FromSeconds(30), c.RequestAborted);
                return true;
            default:
                return false;
        }
    }

    /// <summary>OpenAI Responses: usage counts cached tokens inside input_tokens; streams end with response.completed.</summary>
    private async Task AnswerResponsesAsync(HttpContext c)
    {
        var body = await ReceiveAsync(c);
        if (await FaultAsync(c))
            return;
        var text = $"Hello from {Name}";
        var usage = new JsonObject
        {
            ["input_tokens"] = PromptTokens,
            ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = CachedTokens },
            ["output_tokens"] = CompletionTokens,
            ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 10 },
            ["total_tokens"] = PromptTokens + CompletionTokens,
        };
        JsonObject Response(string status) => new()
        {
            ["id"] = "resp_1",
            ["object"] = "response",
            ["status"] = status,
            ["model"] = body["model"]!.GetValue<string>(),
            ["output"] = new JsonArray(new JsonObject
            {
                ["type"] = "message",
                ["id"] = "msg_1",
                ["role"] = "assistant",
                ["status"] = "completed",
                ["content"] = new JsonArray(new JsonObject { ["type"] = "output_text", ["text"] = text, ["annotations"] = new JsonArray() }),
            }),
            ["usage"] = status == "completed" ? usage : null,
        };
        if (body["stream"]?.GetValue<bool>() != true)
        {
            await c.Response.WriteAsJsonAsync(Response("completed"));
            return;
        }

        c.Response.ContentType = "text/event-stream";
        async Task EventAsync(string type, JsonObject data)
        {
            data["type"] = type;
            await c.Response.WriteAsync($"event: {type}\ndata: {data.ToJsonString()}\n\n");
            await c.Response.Body.FlushAsync();
        }

        await EventAsync("response.created", new JsonObject { ["response"] = Response("in_progress") });
        await EventAsync("response.output_text.delta", new JsonObject { ["item_id"] = "msg_1", ["output_index"] = 0, ["content_index"] = 0, ["delta"] = text });
        await EventAsync("response.completed", new JsonObject { ["response"] = Response("completed") });
    }

    /// <summary>Anthropic Messages: input_tokens are fresh, cache reads and writes apart; output counted in message_delta.</summary>
    private async Task AnswerMessagesAsync(HttpContext c)
    {
        var body = await ReceiveAsync(c);
        if (await FaultAsync(c))
            return;
        var text = $"Hello from {Name}";
        var model = body["model"]!.GetValue<string>();
        if (body["stream"]?.GetValue<bool>() != true)
        {
            await c.Response.WriteAsJsonAsync(new JsonObject
            {
                ["id"] = "msg_1",
                ["type"] = "message",
                ["role"] = "assistant",
                ["model"] = model,
                ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = text }),
                ["stop_reason"] = "end_turn",
                ["usage"] = new JsonObject
                {
                    ["input_tokens"] = PromptTokens - CachedTokens,
                    ["cache_read_input_tokens"] = CachedTokens,
                    ["cache_creation_input_tokens"] = CacheWriteTokens,
                    ["output_tokens"] = CompletionTokens,
                },
            });
            return;
        }

        c.Response.ContentType = "text/event-stream";
        async Task EventAsync(string type, JsonObject data)
        {
            data["type"] = type;
            await c.Response.WriteAsync($"event: {type}\ndata: {data.ToJsonString()}\n\n");
            await c.Response.Body.FlushAsync();
        }

        await EventAsync("message_start", new JsonObject
        {
            ["message"] = new JsonObject
            {
                ["id"] = "msg_1",
                ["type"] = "message",
                ["role"] = "assistant",
                ["model"] = model,
                ["content"] = new JsonArray(),
                ["usage"] = new JsonObject
                {
                    ["input_tokens"] = PromptTokens - CachedTokens,
                    ["cache_read_input_tokens"] = CachedTokens,
                    ["cache_creation_input_tokens"] = CacheWriteTokens,
                    ["output_tokens"] = 1,
                },
            },
        });
        await EventAsync("content_block_start", new JsonObject { ["index"] = 0, ["content_block"] = new JsonObject { ["type"] = "text", ["text"] = "" } });
        await EventAsync("content_block_delta", new JsonObject { ["index"] = 0, ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = text } });
        await EventAsync("content_block_stop", new JsonObject { ["index"] = 0 });
        await EventAsync("message_delta", new JsonObject { ["delta"] = new JsonObject { ["stop_reason"] = "end_turn" }, ["usage"] = new JsonObject { ["output_tokens"] = CompletionTokens } });
        await EventAsync("message_stop", []);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
