using System.Text;
using System.Text.Json;
using Drover.Core.Jobs;

namespace Drover.Engines.Agents;

/// <summary>
/// Gemini CLI's <c>--output-format stream-json</c>, written from its documented format (geminicli.com "Headless mode
/// reference" and <c>packages/core/src/output/types.ts</c>), not from a recorded run: <c>init</c> (session_id, model),
/// <c>message</c> (assistant text arrives as <c>delta</c> chunks), <c>tool_use</c>/<c>tool_result</c>, <c>error</c>
/// (warnings and non-fatal errors), and a final <c>result</c> whose <c>status</c> is <c>success</c> or <c>error</c>
/// and whose <c>stats</c> carry tokens only (no cost). Exit codes: 1 general error, 42 input error, 53 turn limit.
/// </summary>
public sealed class GeminiStream : AgentStream
{
    /// <summary>Gemini CLI's exit code for an invalid prompt or arguments.</summary>
    public const int InputErrorExit = 42;

    /// <summary>Gemini CLI's exit code when the session hit its turn limit (<c>maxSessionTurns</c>).</summary>
    public const int TurnLimitExit = 53;

    private readonly StringBuilder _text = new();

    public override string Engine => "gemini";

    protected override string? ReadEvent(JsonElement e)
    {
        switch (Str(e, "type"))
        {
            case "init":
                SessionId = Str(e, "session_id") ?? SessionId;
                Model = Str(e, "model") ?? Model;
                return Model is null ? "gemini started" : $"gemini started ({Model})";
            case "message" when Str(e, "role") == "assistant":
                // Chunks of one reply: collected, and shown once the reply is complete.
                if (!Bool(e, "delta"))
                    _text.Clear();
                _text.Append(Str(e, "content"));
                return null;
            case "tool_use":
                ToolCalls++;
                EndReply();
                return Describe(Str(e, "tool_name") ?? "tool", Obj(e, "parameters"));
            case "tool_result" when Str(e, "status") == "error":
                var error = Obj(e, "error");
                return "tool error: " + FailureText.Trim(Str(error, "message") ?? Str(e, "output") ?? "", 200);
            case "error":
                // Warnings and loop/turn notices; the result event or the exit code says whether the run failed.
                var message = Str(e, "message") ?? "error";
                SawError(message, fatal: false);
                return (Str(e, "severity") == "warning" ? "warning: " : "error: ") + FailureText.Trim(message, 200);
            case "result":
                return ReadResult(e);
            default:
                return null;
        }
    }

    protected override void OnExit(int exitCode, string? lastStderrLine)
    {
        EndReply();
        var detail = (LastError ?? lastStderrLine) is { } text ? ": " + FailureText.Trim(text) : "";
        if (exitCode == TurnLimitExit)
        {
            // The operator's turn cap is a budget: retrying blind would spend it again.
            Failure = new AgentFailure(FailureClass.BudgetExhausted, $"gemini reached its session turn limit (exit {TurnLimitExit}){detail}");
        }
        else if (exitCode == InputErrorExit)
        {
            // The same prompt and arguments would be rejected again: not retried by default.
            Failure = new AgentFailure(FailureClass.Unknown, $"gemini rejected its input (exit {InputErrorExit}: invalid prompt or arguments){detail}");
        }
    }

    private string ReadResult(JsonElement e)
    {
        var reply = EndReply();
        Usage = ReadStats(Obj(e, "stats")) ?? Usage;
        if (Str(e, "status") == "error")
        {
            var error = Obj(e, "error");
            SawError(Str(error, "message") ?? LastError ?? Str(error, "type") ?? "gemini reported an error", fatal: true);
            return "gemini failed: " + Failure!.Reason;
        }

        return reply is null ? "gemini finished" : "says: " + FailureText.Trim(reply, 200);
    }

    /// <summary>The reply collected so far becomes the latest message; returns it, or null when there was none.</summary>
    private string? EndReply()
    {
        if (_text.Length == 0)
            return null;
        var reply = _text.ToString();
        _text.Clear();
        if (string.IsNullOrWhiteSpace(reply))
            return null;
        FinalMessage = reply;
        return reply;
    }

    /// <summary>
    /// <c>input_tokens</c> is the prompt including cached tokens, <c>input</c> the part that was not cached,
    /// <c>output_tokens</c> the candidates. Thinking tokens are not broken out; they are what <c>total_tokens</c>
    /// has beyond prompt and candidates (with tool-use prompt tokens, usually none), counted as reasoning output.
    /// </summary>
    private AgentUsage? ReadStats(JsonElement s)
    {
        if (s.ValueKind != JsonValueKind.Object)
            return null;
        var prompt = Num(s, "input_tokens");
        var cached = Num(s, "cached");
        var fresh = s.TryGetProperty("input", out var input) && input.ValueKind == JsonValueKind.Number
            ? Num(s, "input")
            : Math.Max(0, prompt - cached);
        var candidates = Num(s, "output_tokens");
        var thoughts = Math.Max(0, Num(s, "total_tokens") - prompt - candidates);
        var models = Obj(s, "models");
        var model = models.ValueKind == JsonValueKind.Object && models.EnumerateObject().Count() == 1
            ? models.EnumerateObject().First().Name
            : null;
        return new AgentUsage(fresh, cached, 0, candidates + thoughts, thoughts, null, model ?? Model);
    }
}
