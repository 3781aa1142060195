using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Server.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Approvals;

/// <summary>
/// <c>POST /v1/approvals/mcp</c>: a Model Context Protocol server (streamable HTTP, JSON-RPC 2.0) with one tool,
/// <c>approve</c>, that claude calls through <c>--permission-prompt-tool mcp__drover__approve</c> before every tool use
/// its own settings do not allow. Authenticated by the attempt's own gateway key, which names the job and attempt.
/// The answer to a tool call is sent as an event stream so that a long wait for a person keeps the connection alive.
/// </summary>
public static class ApprovalMcp
{
    public const string Path = "/v1/approvals/mcp";

    /// <summary>The MCP server name the drivers configure; the tool is then <c>mcp__drover__approve</c>.</summary>
    public const string ServerName = "drover";

    public const string ToolName = "approve";

    /// <summary>The attempt's workspace, sent by the driver in the MCP config so relative path rules resolve.</summary>
    public const string WorkspaceHeader = "X-Drover-Workspace";

    public static void MapApprovalMcp(this WebApplication app, ApprovalGate gate, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost(Path, (HttpContext c) => HandleAsync(c, gate, logger));
        // No server-initiated stream and no sessions to end.
        app.MapGet(Path, () => Results.StatusCode(StatusCodes.Status405MethodNotAllowed));
        app.MapDelete(Path, () => Results.StatusCode(StatusCodes.Status405MethodNotAllowed));
    }

    private static async Task HandleAsync(HttpContext c, ApprovalGate gate, ILogger logger)
    {
        if (c.Items[BearerAuth.JobKeyItem] is not (long job, int attempt))
        {
            Log.ApprovalRequestRefused(logger, "not an attempt's key");
            c.Response.StatusCode = StatusCodes.Status403Forbidden;
            await c.Response.WriteAsJsonAsync(new { error = "tool approvals take a running attempt's key" }, c.RequestAborted);
            return;
        }

        JsonObject? message;
        try
        {
            message = await JsonNode.ParseAsync(c.Request.Body, cancellationToken: c.RequestAborted) as JsonObject;
        }
        catch (JsonException)
        {
            message = null;
        }

        if (message is null)
        {
            await WriteJsonAsync(c, Error(null, -32700, "expected one JSON-RPC message (an object)"));
            return;
        }

        var id = message["id"]?.DeepClone();
        var method = Str(message["method"]);
        if (id is null)
        {
            // A notification (notifications/initialized) or a response: accepted, nothing to say.
            c.Response.StatusCode = StatusCodes.Status202Accepted;
            return;
        }

        var reply = method switch
        {
            "initialize" => Result(id, new JsonObject
            {
                ["protocolVersion"] = Str(message["params"]?["protocolVersion"]) ?? "2025-06-18",
                ["capabilities"] = new JsonObject { ["tools"] = new JsonObject() },
                ["serverInfo"] = new JsonObject { ["name"] = ServerName, ["version"] = "1" },
            }),
            "ping" => Result(id, []),
            "tools/list" => Result(id, new JsonObject { ["tools"] = new JsonArray(ToolDescription()) }),
            "tools/call" => null,
            _ => Error(id, -32601, $"method not found: {method}"),
        };
        if (reply is not null)
        {
            await WriteJsonAsync(c, reply);
            return;
        }

        if (Str(message["params"]?["name"]) != ToolName || message["params"]?["arguments"] is not JsonObject args
            || Str(args["tool_name"]) is not { Length: > 0 } tool)
        {
            await WriteJsonAsync(c, Error(id, -32602, $"call {ToolName} with {{tool_name, input}}"));
            return;
        }

        var input = args["input"] is { } node ? JsonSerializer.SerializeToElement(node) : JsonSerializer.SerializeToElement(new JsonObject());
        var workspace = c.Request.Headers[WorkspaceHeader].FirstOrDefault() is { Length: > 0 } w && System.IO.Path.IsPathRooted(w) ? w : null;
        c.Response.ContentType = "text/event-stream";
        c.Response.Headers.CacheControl = "no-cache";
        await CommentAsync(c, c.RequestAborted);
        var answer = await gate.DecideAsync(job, attempt, tool, input, workspace, ct => CommentAsync(c, ct), c.RequestAborted);
        var decision = answer.Allow
            ? new JsonObject { ["behavior"] = "allow", ["updatedInput"] = args["input"]?.DeepClone() ?? new JsonObject() }
            : new JsonObject { ["behavior"] = "deny", ["message"] = answer.Message };
        var result = Result(id, new JsonObject
        {
            ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = decision.ToJsonString() }),
        });
        await c.Response.WriteAsync($"event: message\ndata: {result.ToJsonString()}\n\n", c.RequestAborted);
        await c.Response.Body.FlushAsync(c.RequestAborted);
    }

    private static JsonObject ToolDescription() => new()
    {
        ["name"] = ToolName,
        ["description"] = "Asks Drover whether a tool call may run (its approval rules, or a person).",
        ["inputSchema"] = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["tool_name"] = new JsonObject { ["type"] = "string" },
                ["input"] = new JsonObject { ["type"] = "object" },
                ["tool_use_id"] = new JsonObject { ["type"] = "string" },
            },
            ["required"] = new JsonArray("tool_name", "input"),
        },
    };

    private static async Task CommentAsync(HttpContext c, CancellationToken ct)
    {
        await c.Response.Body.WriteAsync(": waiting for a decision\n\n"u8.ToArray(), ct);
        await c.Response.Body.FlushAsync(ct);
    }

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static JsonObject Result(JsonNode id, JsonObject result) => new() { ["jsonrpc"] = "2.0", ["id"] = id, ["result"] = result };

    private static JsonObject Error(JsonNode? id, int code, string text) =>
        new() { ["jsonrpc"] = "2.0", ["id"] = id, ["error"] = new JsonObject { ["code"] = code, ["message"] = text } };

    private static async Task WriteJsonAsync(HttpContext c, JsonObject reply)
    {
        c.Response.ContentType = "application/json";
        await c.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(reply.ToJsonString()), c.RequestAborted);
    }
}
