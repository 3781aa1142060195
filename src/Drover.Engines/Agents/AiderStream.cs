using System.Globalization;
using System.Text.RegularExpressions;
using Drover.Core.Jobs;

namespace Drover.Engines.Agents;

/// <summary>
/// aider with <c>--no-pretty --no-stream</c> prints text, not JSON. Written from aider's source
/// (<c>Coder.calculate_and_show_tokens_and_cost</c>, <c>aider/exceptions.py</c>), not from a recorded run:
/// <list type="bullet">
/// <item>after each LLM call, <c>Tokens: 2.3k sent, 1.1k cache write, 900 cache hit, 500 received. Cost: $0.01
/// message, $0.02 session.</c>; the counts are per call (summed here), the session cost is cumulative (the last one
/// wins), and there is no cost part when aider has no price for the model;</item>
/// <item>API errors as <c>litellm.RateLimitError: …</c> plus a description, then <c>Retrying in 0.5 seconds...</c>
/// when aider retries; aider still exits 0 after giving up, so an error with no successful call after it fails
/// the run;</item>
/// <item>edits as SEARCH/REPLACE blocks or fenced code (kept out of the log and the final message: the diff has them)
/// and <c>Applied edit to path</c>.</item>
/// </list>
/// </summary>
public sealed partial class AiderStream() : TextStream("aider")
{
    private long _sent, _cacheWrite, _cacheHit, _received;
    private decimal? _sessionCost;
    private bool _sawTokens, _inFence, _inEditBlock;
    private string? _unresolvedError;

    /// <summary>aider answers in text; a run that printed none did not do its job.</summary>
    protected override bool NeedsFinalMessage => true;

    protected override string? ReadText(string line)
    {
        if (ReadCode(line))
            return null;
        if (line.StartsWith("Tokens:", StringComparison.Ordinal))
            return ReadTokens(line);
        if (AppliedEdit().Match(line) is { Success: true } edit)
        {
            ToolCalls++;
            return "edit: " + edit.Groups["path"].Value;
        }

        if (MainModel().Match(line) is { Success: true } model)
        {
            Model = model.Groups["model"].Value;
            return line;
        }

        if (ErrorLine().IsMatch(line))
        {
            // Fatal only if no successful call follows: aider retries transient errors itself. The exception and
            // aider's description of it come on separate lines; together they name the cause.
            _unresolvedError = _unresolvedError is null ? line : FailureText.Trim(_unresolvedError + " " + line, 2000);
            SawError(line, fatal: false);
            return "error: " + FailureText.Trim(line, 300);
        }

        if (!StatusLine().IsMatch(line))
            AddMessageLine(line);
        return FailureText.Trim(line, 500);
    }

    protected override void OnExit(int exitCode, string? lastStderrLine)
    {
        base.OnExit(exitCode, lastStderrLine);
        if (_sawTokens)
            Usage = new AgentUsage(Math.Max(0, _sent - _cacheHit - _cacheWrite), _cacheHit, _cacheWrite, _received, 0, _sessionCost, null);
        if (exitCode == 0 && _unresolvedError is { } error && Failure is null)
        {
            Failure = FailureText.Classify(error, DateTimeOffset.UtcNow)
                ?? new AgentFailure(FailureClass.ModelError, FailureText.Trim(error));
        }
    }

    /// <summary>True for lines inside a fenced block or a SEARCH/REPLACE block (and their markers).</summary>
    private bool ReadCode(string line)
    {
        if (_inEditBlock)
        {
            _inEditBlock = !line.StartsWith(">>>>>>> REPLACE", StringComparison.Ordinal);
            return true;
        }

        if (line.StartsWith("<<<<<<< SEARCH", StringComparison.Ordinal))
        {
            _inEditBlock = true;
            return true;
        }

        if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
        {
            _inFence = !_inFence;
            return true;
        }

        return _inFence;
    }

    private string ReadTokens(string line)
    {
        _sawTokens = true;
        _unresolvedError = null; // a call succeeded after it
        foreach (Match count in TokenCount().Matches(line))
        {
            var n = Count(count.Groups["n"].Value, count.Groups["unit"].Value);
            switch (count.Groups["what"].Value)
            {
                case "sent":
                    _sent += n;
                    break;
                case "cache write":
                    _cacheWrite += n;
                    break;
                case "received":
                    _received += n;
                    break;
                default:
                    _cacheHit += n; // "cache hit", or "cache read" in some versions
                    break;
            }
        }

        if (SessionCost().Match(line) is { Success: true } cost
            && decimal.TryParse(cost.Groups["usd"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var usd))
        {
            _sessionCost = usd;
        }

        return line;
    }

    /// <summary>aider's <c>format_tokens</c>: <c>999</c>, <c>2.3k</c>, <c>23k</c>; <c>M</c> and thousands separators are accepted too.</summary>
    internal static long Count(string number, string unit)
    {
        var n = decimal.Parse(number.Replace(",", "", StringComparison.Ordinal), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        var scale = unit switch
        {
            "k" or "K" => 1_000m,
            "m" or "M" => 1_000_000m,
            _ => 1m,
        };
        return (long)Math.Round(n * scale, MidpointRounding.AwayFromZero);
    }

    [GeneratedRegex(@"(?<n>\d[\d,]*(?:\.\d+)?)(?<unit>[kKmM]?)\s+(?<what>sent|cache write|cache hit|cache read|received)\b")]
    private static partial Regex TokenCount();

    [GeneratedRegex(@"Cost:\s*\$[\d.]+\s+message,\s*\$(?<usd>\d+(?:\.\d+)?)\s+session")]
    private static partial Regex SessionCost();

    [GeneratedRegex(@"^Applied edit to (?<path>.+)$")]
    private static partial Regex AppliedEdit();

    [GeneratedRegex(@"^(?:Main model|Model):\s*(?<model>\S+)")]
    private static partial Regex MainModel();

    /// <summary>litellm exceptions and aider's own descriptions of them (aider/exceptions.py, base_coder.py).</summary>
    [GeneratedRegex(@"^(?:litellm\.\w+(?:Error|Exception)?\b|\w+Error:|The API provider|Your estimated chat context of|Unable to (?:find|read) .*API key|Model \S+ has hit a token limit)")]
    private static partial Regex ErrorLine();

    /// <summary>aider's own status lines: progress, but not the agent's message.</summary>
    [GeneratedRegex(@"^(?:Aider v\d|Weak model:|Editor model:|Git repo:|Repo-map:|Added .+ to the chat|Retrying in |Commit [0-9a-f]{7,} |Warning: |Cost estimates may be|https://aider\.chat/)")]
    private static partial Regex StatusLine();
}
