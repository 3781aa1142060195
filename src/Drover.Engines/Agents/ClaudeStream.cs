using System.Text.Json;
using Drover.Core.Jobs;

namespace Drover.Engines.Agents;

/// <summary>
/// The stream-json format of Claude Code (<c>--output-format stream-json --verbose</c>), which Qwen Code shares:
/// <c>system/init</c>, <c>assistant</c> and <c>user</c> messages, and a final <c>result</c>. Exit code 0 is not
/// success: <c>is_error</c> and <c>permission_denials</c> on the result decide (RECIPES "Failure modes").
/// </summary>
public class ClaudeStream : AgentStream
{
    private bool _sawResult;

    public override string Engine => "claude";

    /// <summary>Whether the result's <c>input_tokens</c> already include cache reads (qwen: yes; claude: no).</summary>
    protected virtual bool InputIncludesCacheReads => false;

    protected override string? ReadEvent(JsonElement e)
    {
        switch (Str(e, "type"))
        {
            case "system" when Str(e, "subtype") == "init":
                SessionId = Str(e, "session_id") ?? SessionId;
                Model = Str(e, "model") ?? Model;
                return Model is null ? $"{Engine} started" : $"{Engine} started ({Model})";
            case "assistant":
                return ReadAssistant(Obj(e, "message"));
            case "user":
                foreach (var block in Items(Obj(e, "message"), "content"))
                {
                    if (Str(block, "type") == "tool_result" && Bool(block, "is_error"))
                        return "tool error: " + FailureText.Trim(ContentText(block), 200);
                }

                return null;
            case "result":
                ReadResult(e);
                return Failure is null ? $"{Engine} finished" : $"{Engine} failed: {Failure.Reason}";
            default:
                return null;
        }
    }

    private string? ReadAssistant(JsonElement message)
    {
        string? progress = null;
        foreach (var block in Items(message, "content"))
        {
            switch (Str(block, "type"))
            {
                case "tool_use":
                    ToolCalls++;
                    var name = Str(block, "name") ?? "tool";
                    var input = Obj(block, "input");
                    if (name == "AskUserQuestion")
                    {
                        var asked = Items(input, "questions").Select(q => Str(q, "question")).Where(q => q is not null).ToList();
                        Question = asked.Count > 0 ? string.Join('\n', asked) : Str(input, "question") ?? "the agent asked a question";
                        progress = "question: " + Question;
                    }
                    else
                    {
                        progress = Describe(name, input);
                    }

                    break;
                case "text" when Str(block, "text") is { Length: > 0 } text:
                    FinalMessage = text;
                    progress ??= "says: " + FailureText.Trim(text, 200);
                    break;
            }
        }

        return progress;
    }

    private void ReadResult(JsonElement e)
    {
        _sawResult = true;
        SessionId = Str(e, "session_id") ?? SessionId;
        if (Str(e, "result") is { Length: > 0 } result)
            FinalMessage = result;
        Usage = ReadUsage(e);

        if (Bool(e, "is_error"))
        {
            var text = Str(e, "api_error") ?? Str(e, "error") ?? Str(e, "result") ?? Str(e, "subtype") ?? "is_error";
            SawError(text, fatal: true);
        }
        else if (Str(e, "subtype") is { } subtype && subtype != "success")
        {
            SawError(Str(e, "result") ?? subtype, fatal: true);
        }

        var denied = Items(e, "permission_denials")
            .Select(d => Str(d, "tool_name") ?? Str(d, "tool") ?? "a tool")
            .ToList();
        if (denied.Count > 0 && Failure is null)
        {
            // Not retried by default: the same permissions would deny the same calls again.
            Failure = new AgentFailure(FailureClass.Unknown, $"tool calls were denied: {string.Join(", ", denied.Distinct())}");
        }
    }

    private AgentUsage? ReadUsage(JsonElement e)
    {
        // modelUsage covers every model the run used (sub-agents included); fall back to the top-level usage.
        var perModel = Obj(e, "modelUsage");
        var cost = Money(e, "total_cost_usd");
        if (perModel.ValueKind == JsonValueKind.Object && perModel.EnumerateObject().Any())
        {
            long input = 0, cacheRead = 0, cacheWrite = 0, output = 0;
            var unknownPrices = false;
            string? model = null;
            foreach (var m in perModel.EnumerateObject())
            {
                input += Num(m.Value, "inputTokens");
                cacheRead += Num(m.Value, "cacheReadInputTokens");
                cacheWrite += Num(m.Value, "cacheCreationInputTokens");
                output += Num(m.Value, "outputTokens");
                unknownPrices |= Str(m.Value, "costBasis") == "unknown";
                model ??= m.Name;
            }

            // A cost computed from no price list is not a cost.
            return new AgentUsage(input, cacheRead, cacheWrite, output, 0, unknownPrices ? null : cost, model);
        }

        var usage = Obj(e, "usage");
        if (usage.ValueKind != JsonValueKind.Object)
            return null;
        var read = Num(usage, "cache_read_input_tokens");
        var inputTokens = Num(usage, "input_tokens");
        var fresh = InputIncludesCacheReads ? Math.Max(0, inputTokens - read) : inputTokens;
        return new AgentUsage(fresh, read, Num(usage, "cache_creation_input_tokens"), Num(usage, "output_tokens"), 0, cost, null);
    }

    /// <summary>A stream that ended without its result line was cut short (killed, or the CLI crashed).</summary>
    public bool SawResult => _sawResult;

    private static string ContentText(JsonElement block)
    {
        var content = Obj(block, "content");
        return content.ValueKind switch
        {
            JsonValueKind.String => content.GetString() ?? "",
            JsonValueKind.Array => string.Join(' ', content.EnumerateArray().Select(c => Str(c, "text")).Where(t => t is not null)),
            _ => "",
        };
    }
}

/// <summary>Qwen Code's <c>-o stream-json</c>: Claude's format, but <c>input_tokens</c> include cache reads.</summary>
public sealed class QwenStream : ClaudeStream
{
    public override string Engine => "qwen";

    protected override bool InputIncludesCacheReads => true;
}
