using System.Text.Json;

namespace Drover.Engines.Agents;

/// <summary>
/// <c>codex exec --json</c>: <c>thread.started</c>, <c>item.started/completed</c> (commands, file changes, messages),
/// and <c>turn.completed</c> with usage that is cumulative for the thread (never summed), or <c>turn.failed</c>.
/// </summary>
public sealed class CodexStream : AgentStream
{
    public override string Engine => "codex";

    protected override string? ReadEvent(JsonElement e)
    {
        switch (Str(e, "type"))
        {
            case "thread.started":
                SessionId = Str(e, "thread_id") ?? SessionId;
                return "codex started";
            case "item.started":
                return ReadItem(Obj(e, "item"), completed: false);
            case "item.completed":
                return ReadItem(Obj(e, "item"), completed: true);
            case "turn.completed":
                Usage = ReadUsage(Obj(e, "usage"));
                return "codex finished the turn";
            case "turn.failed":
                SawError(Str(Obj(e, "error"), "message") ?? "turn failed", fatal: true);
                return "codex failed: " + Failure!.Reason;
            case "error":
                // Reconnect notices and the like; a turn.failed follows if it was fatal.
                var message = Str(e, "message") ?? "error";
                SawError(message, fatal: false);
                return "error: " + FailureText.Trim(message, 200);
            default:
                return null;
        }
    }

    private string? ReadItem(JsonElement item, bool completed)
    {
        switch (Str(item, "type"))
        {
            case "command_execution" when !completed:
                ToolCalls++;
                return "exec: " + FailureText.Trim(Str(item, "command") ?? "", 200);
            case "command_execution" when Num(item, "exit_code") != 0:
                return $"exec exited {Num(item, "exit_code")}: " + FailureText.Trim(Str(item, "command") ?? "", 200);
            case "file_change" when completed:
                ToolCalls++;
                var changes = Items(item, "changes").Select(c => $"{Str(c, "kind")} {Str(c, "path")}").ToList();
                return "edit: " + string.Join(", ", changes);
            case "mcp_tool_call" when !completed:
                ToolCalls++;
                return $"tool: {Str(item, "server")}.{Str(item, "tool")}";
            case "web_search" when !completed:
                ToolCalls++;
                return "search: " + Str(item, "query");
            case "agent_message" when completed && Str(item, "text") is { Length: > 0 } text:
                FinalMessage = text;
                return "says: " + FailureText.Trim(text, 200);
            case { } type when completed && type.Contains("user_input", StringComparison.Ordinal):
                Question = Str(item, "question") ?? Str(item, "text") ?? Str(item, "prompt") ?? "the agent asked a question";
                return "question: " + Question;
            case "error" when completed:
                var message = Str(item, "message") ?? "error";
                SawError(message, fatal: false);
                return "error: " + FailureText.Trim(message, 200);
            default:
                return null;
        }
    }

    private static AgentUsage? ReadUsage(JsonElement u)
    {
        if (u.ValueKind != JsonValueKind.Object)
            return null;
        var input = Num(u, "input_tokens");
        var cached = Num(u, "cached_input_tokens");
        // input_tokens include the cached ones (RECIPES); output_tokens include reasoning.
        return new AgentUsage(Math.Max(0, input - cached), cached, Num(u, "cache_write_input_tokens"), Num(u, "output_tokens"), Num(u, "reasoning_output_tokens"), null, null);
    }
}
