using System.Text.Json;
using Drover.Core.Jobs;

namespace Drover.Engines.Agents;

/// <summary>
/// Token usage of one attempt, normalised across agent CLIs (RECIPES "Reading usage"):
/// <see cref="Input"/> is fresh input only (cache reads and writes are separate), <see cref="Output"/>
/// includes <see cref="Reasoning"/>. <see cref="CostUsd"/> is null when the CLI reported no cost.
/// </summary>
public sealed record AgentUsage(long Input, long CachedInput, long CacheWrite, long Output, long Reasoning, decimal? CostUsd, string? Model)
{
    /// <summary>Every CLI reports zeros when the endpoint sent no usage: zero means "unknown", not "free".</summary>
    public bool IsZero => Input == 0 && CachedInput == 0 && CacheWrite == 0 && Output == 0 && CostUsd is null or 0m;

    /// <summary>
    /// The stored record, every kind of token kept apart; cost is reported or unknown (the runner may price it).
    /// All zeros means the endpoint sent no usage: stored as unknown, never as a free run.
    /// </summary>
    public UsageRecord ToRecord() => IsZero
        ? UsageRecord.Empty with { Model = Model }
        : new UsageRecord(Input, CachedInput, Output, CostUsd ?? 0m, CostUsd is null ? "unknown" : "reported", Model)
        {
            CacheWriteTokens = CacheWrite,
            ReasoningTokens = Reasoning,
        };
}

/// <summary>Why an agent run failed even if its exit code says otherwise.</summary>
/// <param name="Class">A SPEC §4 failure class.</param>
/// <param name="RetryAt">For rate limits with a reset time: when to try again.</param>
public sealed record AgentFailure(string Class, string Reason, DateTimeOffset? RetryAt = null);

/// <summary>What a whole run said, read after the process ended.</summary>
public sealed record AgentVerdict(
    AgentUsage? Usage,
    string? FinalMessage,
    string? SessionId,
    AgentFailure? Failure,
    string? Question,
    int ToolCalls);

/// <summary>
/// Reads one agent CLI's machine output (JSON lines on stdout) as it streams: each line may give a readable
/// progress line (which also resets the stall timer); at the end, <see cref="Finish"/> judges the run.
/// Not thread-safe: lines arrive in order from one reader.
/// </summary>
public abstract class AgentStream
{
    private string? _lastError;

    protected AgentUsage? Usage { get; set; }
    protected string? FinalMessage { get; set; }
    protected string? SessionId { get; set; }
    protected string? Model { get; set; }
    protected string? Question { get; set; }
    protected AgentFailure? Failure { get; set; }
    protected int ToolCalls { get; set; }

    /// <summary>The engine this stream reads (<c>claude</c>, <c>codex</c>, …).</summary>
    public abstract string Engine { get; }

    /// <summary>Reads one stdout line; returns a human-readable progress line, or null for lines that say nothing new.
    /// JSON-line CLIs are read here; CLIs that print plain text override it (<see cref="TextStream"/>).</summary>
    public virtual string? Read(string line)
    {
        if (string.IsNullOrWhiteSpace(line) || line[0] != '{')
            return null;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException)
        {
            return null; // CLIs interleave the odd plain line (warnings); the log keeps it verbatim.
        }

        using (doc)
        {
            return doc.RootElement.ValueKind == JsonValueKind.Object ? ReadEvent(doc.RootElement) : null;
        }
    }

    /// <summary>Judges the run once the process has exited with <paramref name="exitCode"/>.</summary>
    public AgentVerdict Finish(int exitCode, string? lastStderrLine)
    {
        OnExit(exitCode, lastStderrLine);
        var failure = Failure;
        if (failure is null && exitCode != 0)
        {
            var text = _lastError ?? lastStderrLine;
            failure = text is not null && FailureText.Classify(text, DateTimeOffset.UtcNow) is { } known
                ? known
                : new AgentFailure(FailureClass.Crash, $"{Engine} exited with code {exitCode}" + (text is null ? "" : $": {FailureText.Trim(text)}"));
        }

        if (failure is null && Question is null && NeedsFinalMessage && string.IsNullOrWhiteSpace(FinalMessage))
            failure = new AgentFailure(FailureClass.ModelError, $"{Engine} ended without a final message");

        var usage = Usage is { } u ? u with { Model = u.Model ?? Model } : null;
        return new AgentVerdict(usage, FinalMessage, SessionId, failure, Question, ToolCalls);
    }

    protected abstract string? ReadEvent(JsonElement e);

    /// <summary>Whether a run that ends without a final message failed (agents: yes; a plain command judged by its exit code: no).</summary>
    protected virtual bool NeedsFinalMessage => true;

    /// <summary>The last error text the CLI printed (<see cref="SawError"/>), fatal or not.</summary>
    protected string? LastError => _lastError;

    /// <summary>Called once the process has exited, before the verdict: where a CLI's exit codes mean more than "failed".</summary>
    protected virtual void OnExit(int exitCode, string? lastStderrLine)
    {
    }

    /// <summary>Remembers an error text the CLI printed, and classifies it when it names a known cause.</summary>
    protected void SawError(string text, bool fatal)
    {
        _lastError = text;
        if (fatal && Failure is null)
        {
            Failure = FailureText.Classify(text, DateTimeOffset.UtcNow)
                ?? new AgentFailure(FailureClass.ModelError, FailureText.Trim(text));
        }
    }

    protected static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    protected static long Num(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : 0;

    protected static decimal? Money(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetDecimal(out var d) ? d : null;

    protected static JsonElement Obj(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v : default;

    protected static bool Bool(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    protected static IEnumerable<JsonElement> Items(JsonElement e, string name) =>
        Obj(e, name) is { ValueKind: JsonValueKind.Array } a ? a.EnumerateArray() : [];

    /// <summary>A one-line description of a tool call's input: the command, the path, or the first string argument.</summary>
    protected static string Describe(string tool, JsonElement input)
    {
        foreach (var key in new[] { "command", "cmd", "file_path", "filePath", "path", "pattern", "url", "description" })
        {
            if (Str(input, key) is { Length: > 0 } value)
                return $"{tool}: {FailureText.Trim(value, 200)}";
        }

        return tool;
    }
}
