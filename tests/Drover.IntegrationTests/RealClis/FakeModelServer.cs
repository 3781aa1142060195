using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Drover.IntegrationTests.RealClis;

/// <summary>Token counts a scripted reply reports, in the provider's own terms.</summary>
/// <param name="Input">Responses: input_tokens including cached; Messages: input_tokens excluding cache reads and writes.</param>
public sealed record FakeUsage(long Input, long Cached, long CacheWrite, long Output, long Reasoning);

/// <summary>One scripted answer of the fake model.</summary>
public abstract record FakeReply(FakeUsage? Usage);

/// <summary>Ask the agent to run this shell command (codex exec_command, claude Bash).</summary>
public sealed record RunShell(string Command, FakeUsage? Usage) : FakeReply(Usage);

/// <summary>Ask for a named tool with this input (Messages protocol only).</summary>
public sealed record CallTool(string Name, JsonObject Input, FakeUsage? Usage) : FakeReply(Usage);

/// <summary>Finish with this message.</summary>
public sealed record SayDone(string Text, FakeUsage? Usage) : FakeReply(Usage);

/// <summary>Answer with an HTTP error status and message.</summary>
public sealed record HttpError(int Status, string? Message = null) : FakeReply((FakeUsage?)null);

/// <summary>
/// A scripted model endpoint on 127.0.0.1 speaking the streaming protocols the agent CLIs need
/// (RECIPES.md): OpenAI Responses (<c>POST /v1/responses</c>, codex) and Anthropic Messages
/// (<c>POST /v1/messages</c>, claude). Each request with tools takes the next scripted reply; requests are recorded.
/// </summary>
public sealed class FakeModelServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<FakeReply> _script = new();
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly ConcurrentQueue<string> _bodies = new();
    private int _ids;

    private FakeModelServer(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>"METHOD path" of every request, in order.</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    /// <summary>The JSON body of every scripted-protocol request, in order.</summary>
    public IReadOnlyList<string> Bodies => [.. _bodies];

    /// <summary>Replies are repeated forever when <see cref="Repeat"/> is set (e.g. a 500 on every call).</summary>
    public FakeReply? Repeat { get; set; }

    public void Script(params FakeReply[] replies)
    {
        foreach (var r in replies)
            _script.Enqueue(r);
    }

    public static async Task<FakeModelServer> StartAsync(Socket listening)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ListenHandle((ulong)listening.Handle));
        var app = builder.Build();
        var server = new FakeModelServer(app, ((System.Net.IPEndPoint)listening.LocalEndPoint!).Port);
        app.MapPost("/v1/responses", server.ResponsesAsync);
        app.MapPost("/v1/messages", server.MessagesAsync);
        app.MapFallback((HttpContext c) =>
        {
            server._requests.Enqueue($"{c.Request.Method} {c.Request.Path} (unscripted)");
            return Results.NotFound();
        });
        await app.StartAsync();
        return server;
    }

    private async Task<JsonObject> ReadAsync(HttpContext c)
    {
        using var reader = new StreamReader(c.Request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        var body = JsonNode.Parse(text)!.AsObject();
        _requests.Enqueue($"{c.Request.Method} {c.Request.Path}");
        _bodies.Enqueue(text);
        return body;
    }

    private FakeReply Next() =>
        Repeat ?? (_script.TryDequeue(out var r) ? r : new HttpError(599));

    private static async Task EventAsync(HttpResponse r, string type, JsonObject data)
    {
        data["type"] = type;
        await r.WriteAsync($"event: {type}\ndata: {data.ToJsonString()}\n\n");
        await r.Body.FlushAsync();
    }

    private static void StartSse(HttpResponse r)
    {
        r.ContentType = "text/event-stream";
        r.Headers.CacheControl = "no-cache";
    }

    // ---- OpenAI Responses (codex) ----

    private async Task ResponsesAsync(HttpContext c)
    {
        await ReadAsync(c);
        var reply = Next();
        if (reply is HttpError e)
        {
            c.Response.StatusCode = e.Status;
            await c.Response.WriteAsJsonAsync(new { error = new { message = e.Message ?? $"scripted status {e.Status}", type = "server_error" } });
            return;
        }

        var n = Interlocked.Increment(ref _ids);
        StartSse(c.Response);
        await EventAsync(c.Response, "response.created", new JsonObject { ["response"] = new JsonObject { ["id"] = $"resp_{n}" } });
        JsonObject item = reply switch
        {
            RunShell run => new JsonObject
            {
                ["type"] = "function_call",
                ["id"] = $"fc_{n}",
                ["call_id"] = $"call_{n}",
                ["name"] = "exec_command",
                ["arguments"] = new JsonObject { ["cmd"] = run.Command }.ToJsonString(),
            },
            SayDone done => new JsonObject
            {
                ["type"] = "message",
                ["id"] = $"msg_{n}",
                ["role"] = "assistant",
                ["content"] = new JsonArray(new JsonObject { ["type"] = "output_text", ["text"] = done.Text, ["annotations"] = new JsonArray() }),
            },
            _ => throw new InvalidOperationException(reply.ToString()),
        };
        await EventAsync(c.Response, "response.output_item.done", new JsonObject { ["output_index"] = 0, ["item"] = item });
        var response = new JsonObject { ["id"] = $"resp_{n}" };
        if (reply.Usage is { } u)
        {
            response["usage"] = new JsonObject
            {
                ["input_tokens"] = u.Input,
                ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = u.Cached },
                ["output_tokens"] = u.Output,
                ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = u.Reasoning },
                ["total_tokens"] = u.Input + u.Output,
            };
        }

        await EventAsync(c.Response, "response.completed", new JsonObject { ["response"] = response });
    }

    // ---- Anthropic Messages (claude) ----

    private async Task MessagesAsync(HttpContext c)
    {
        var body = await ReadAsync(c);
        // Side calls without tools (titles, summaries) get a short answer and do not take a scripted reply.
        var reply = body["tools"] is JsonArray { Count: > 0 } ? Next() : new SayDone("ok", new FakeUsage(0, 0, 0, 0, 0));
        if (reply is HttpError e)
        {
            c.Response.StatusCode = e.Status;
            var type = e.Status == 429 ? "rate_limit_error" : "api_error";
            await c.Response.WriteAsJsonAsync(new { type = "error", error = new { type, message = e.Message ?? $"scripted status {e.Status}" } });
            return;
        }

        var n = Interlocked.Increment(ref _ids);
        var u = reply.Usage ?? new FakeUsage(0, 0, 0, 0, 0);
        var model = body["model"]?.GetValue<string>() ?? "claude-sonnet-4-5";
        StartSse(c.Response);
        await EventAsync(c.Response, "message_start", new JsonObject
        {
            ["message"] = new JsonObject
            {
                ["id"] = $"msg_{n}",
                ["type"] = "message",
                ["role"] = "assistant",
                ["model"] = model,
                ["content"] = new JsonArray(),
                ["stop_reason"] = null,
                ["stop_sequence"] = null,
                ["usage"] = new JsonObject
                {
                    ["input_tokens"] = u.Input,
                    ["cache_creation_input_tokens"] = u.CacheWrite,
                    ["cache_read_input_tokens"] = u.Cached,
                    ["output_tokens"] = 1,
                },
            },
        });
        string stop;
        if (reply is RunShell or CallTool)
        {
            stop = "tool_use";
            var (name, input) = reply is CallTool call
                ? (call.Name, call.Input.ToJsonString())
                : ("Bash", new JsonObject { ["command"] = ((RunShell)reply).Command, ["description"] = "Run the command" }.ToJsonString());
            await EventAsync(c.Response, "content_block_start", new JsonObject
            {
                ["index"] = 0,
                ["content_block"] = new JsonObject { ["type"] = "tool_use", ["id"] = $"toolu_{n}", ["name"] = name, ["input"] = new JsonObject() },
            });
            await EventAsync(c.Response, "content_block_delta", new JsonObject
            {
                ["index"] = 0,
                ["delta"] = new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = input },
            });
        }
        else
        {
            stop = "end_turn";
            await EventAsync(c.Response, "content_block_start", new JsonObject
            {
                ["index"] = 0,
                ["content_block"] = new JsonObject { ["type"] = "text", ["text"] = "" },
            });
            await EventAsync(c.Response, "content_block_delta", new JsonObject
            {
                ["index"] = 0,
                ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = ((SayDone)reply).Text },
            });
        }

        await EventAsync(c.Response, "content_block_stop", new JsonObject { ["index"] = 0 });
        await EventAsync(c.Response, "message_delta", new JsonObject
        {
            ["delta"] = new JsonObject { ["stop_reason"] = stop, ["stop_sequence"] = null },
            ["usage"] = new JsonObject { ["output_tokens"] = u.Output },
        });
        await EventAsync(c.Response, "message_stop", []);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
