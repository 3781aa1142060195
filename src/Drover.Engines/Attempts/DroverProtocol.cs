using System.Text.Json;
using Drover.Core.Jobs;

namespace Drover.Engines.Attempts;

public enum ProtocolKind
{
    /// <summary>An ordinary output line.</summary>
    Text,
    Usage,
    MalformedUsage,
    Question,
    Progress,

    /// <summary>A job this job proposes (SPEC §12): <see cref="ProtocolLine.Text"/> is its JSON object.</summary>
    Propose,
    MalformedPropose,
}

/// <summary>One stdout line read against the generic protocol (SPEC §7).</summary>
/// <param name="Text">The question or progress text, the proposal's JSON; the parse error for the Malformed kinds.</param>
public sealed record ProtocolLine(ProtocolKind Kind, string Text, UsageRecord? Usage = null);

/// <summary>
/// The stdout protocol any engine or script can speak: <c>DROVER_USAGE {json}</c>, <c>DROVER_QUESTION text</c>,
/// <c>DROVER_PROGRESS text</c>, <c>DROVER_PROPOSE {json spec}</c>. The keyword must start the line and be followed by a space or the end of the line.
/// </summary>
public static class DroverProtocol
{
    public const string UsageKeyword = "DROVER_USAGE";
    public const string QuestionKeyword = "DROVER_QUESTION";
    public const string ProgressKeyword = "DROVER_PROGRESS";
    public const string ProposeKeyword = "DROVER_PROPOSE";

    /// <summary>A proposal's JSON is at most this long (a job spec with a long prompt fits).</summary>
    public const int MaxProposalChars = 256 * 1024;

    public static ProtocolLine Parse(string line)
    {
        if (!line.StartsWith("DROVER_", StringComparison.Ordinal))
        {
            return new ProtocolLine(ProtocolKind.Text, line);
        }

        if (Payload(line, UsageKeyword) is { } usage)
        {
            return ParseUsage(usage);
        }

        if (Payload(line, QuestionKeyword) is { } question)
        {
            return new ProtocolLine(ProtocolKind.Question, question.Trim());
        }

        if (Payload(line, ProposeKeyword) is { } proposal)
        {
            return ParsePropose(proposal.Trim());
        }

        return Payload(line, ProgressKeyword) is { } progress
            ? new ProtocolLine(ProtocolKind.Progress, progress.Trim())
            : new ProtocolLine(ProtocolKind.Text, line);
    }

    /// <summary>Reads a usage object. Tokens are non-negative integers (absent = 0); cost_usd, when given,
    /// makes the cost "reported"; without it the cost is "unknown" and stays 0 — never invented.</summary>
    public static ProtocolLine ParseUsage(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Malformed("not a JSON object");
            }

            var cost = Cost(root);
            var usage = new UsageRecord(
                Tokens(root, "input_tokens"),
                Tokens(root, "cached_input_tokens"),
                Tokens(root, "output_tokens"),
                cost ?? 0m,
                cost is null ? "unknown" : "reported",
                Model(root))
            {
                CacheWriteTokens = Tokens(root, "cache_write_tokens"),
                ReasoningTokens = Tokens(root, "reasoning_tokens"),
            };
            return new ProtocolLine(ProtocolKind.Usage, json, usage);
        }
        catch (JsonException e)
        {
            return Malformed(e.Message);
        }
        catch (FormatException e)
        {
            return Malformed(e.Message);
        }
    }

    /// <summary>A proposal must be one JSON object; whether it is a valid job spec is the server's to say.</summary>
    public static ProtocolLine ParsePropose(string json)
    {
        if (json.Length > MaxProposalChars)
        {
            return new ProtocolLine(ProtocolKind.MalformedPropose, $"longer than {MaxProposalChars / 1024} KiB");
        }

        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                ? new ProtocolLine(ProtocolKind.Propose, json)
                : new ProtocolLine(ProtocolKind.MalformedPropose, "not a JSON object");
        }
        catch (JsonException e)
        {
            return new ProtocolLine(ProtocolKind.MalformedPropose, e.Message);
        }
    }

    private static string? Payload(string line, string keyword)
    {
        if (!line.StartsWith(keyword, StringComparison.Ordinal))
        {
            return null;
        }

        if (line.Length == keyword.Length)
        {
            return "";
        }

        return line[keyword.Length] is ' ' or '\t' ? line[(keyword.Length + 1)..] : null;
    }

    private static ProtocolLine Malformed(string error) => new(ProtocolKind.MalformedUsage, error);

    private static long Tokens(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return 0;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) && n >= 0
            ? n
            : throw new FormatException($"{name} must be a non-negative integer");
    }

    private static decimal? Cost(JsonElement root)
    {
        if (!root.TryGetProperty("cost_usd", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var usd) && usd >= 0
            ? usd
            : throw new FormatException("cost_usd must be a non-negative number");
    }

    private static string? Model(JsonElement root)
    {
        if (!root.TryGetProperty("model", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw new FormatException("model must be a string");
    }
}
