using System.Text.Json;

namespace Drover.Engines.Agents;

/// <summary>
/// <c>opencode run --format json</c>: <c>step_start</c>, <c>tool_use</c>, <c>text</c> and <c>step_finish</c> parts;
/// usage is the sum over <c>step_finish</c> (tokens and cost, priced from its config), errors an <c>error</c> event.
/// </summary>
public sealed class OpenCodeStream : AgentStream
{
    private long _input, _output, _reasoning, _cacheRead, _cacheWrite;
    private decimal _cost;
    private bool _costed;
    private int _steps;

    public override string Engine => "opencode";

    protected override string? ReadEvent(JsonElement e)
    {
        var part = Obj(e, "part");
        switch (Str(e, "type"))
        {
            case "step_start":
                SessionId = Str(e, "sessionID") ?? SessionId;
                return null;
            case "tool_use":
                ToolCalls++;
                var state = Obj(part, "state");
                var tool = Describe(Str(part, "tool") ?? "tool", Obj(state, "input"));
                return Str(state, "status") == "error" ? $"tool error: {tool}: {FailureText.Trim(Str(state, "error") ?? "", 200)}" : tool;
            case "text" when Str(part, "text") is { Length: > 0 } text:
                FinalMessage = text;
                return "says: " + FailureText.Trim(text, 200);
            case "step_finish":
                AddStep(part);
                return null;
            case "error":
                var error = Obj(e, "error");
                var message = Str(Obj(error, "data"), "message") ?? Str(error, "message") ?? Str(error, "name") ?? "error";
                SawError(message, fatal: true);
                return "opencode failed: " + Failure!.Reason;
            default:
                return null;
        }
    }

    private void AddStep(JsonElement part)
    {
        var tokens = Obj(part, "tokens");
        var cache = Obj(tokens, "cache");
        _steps++;
        _input += Num(tokens, "input");
        _output += Num(tokens, "output");
        _reasoning += Num(tokens, "reasoning");
        _cacheRead += Num(cache, "read");
        _cacheWrite += Num(cache, "write");
        if (Money(part, "cost") is { } cost)
        {
            _cost += cost;
            _costed = true;
        }

        // Output here excludes reasoning; the normalised record's output includes it.
        Usage = new AgentUsage(_input, _cacheRead, _cacheWrite, _output + _reasoning, _reasoning, _costed ? _cost : null, null);
    }
}
