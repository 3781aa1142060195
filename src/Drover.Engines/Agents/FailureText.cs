using System.Globalization;
using System.Text.RegularExpressions;
using Drover.Core.Jobs;

namespace Drover.Engines.Agents;

/// <summary>
/// Maps an agent's or provider's error text to a SPEC §4 failure class: rate limits (with a reset time when the
/// text gives one), exhausted quota, context length, authentication. Anything else is not classified here.
/// </summary>
public static partial class FailureText
{
    public static AgentFailure? Classify(string text, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(text);
        var reason = Trim(text);
        if (Quota().IsMatch(text))
            return new AgentFailure(FailureClass.QuotaExhausted, reason, ResetTime(text, now));
        if (RateLimit().IsMatch(text))
            return new AgentFailure(FailureClass.RateLimited, reason, ResetTime(text, now));
        if (Context().IsMatch(text))
            return new AgentFailure(FailureClass.ContextLimit, reason);
        if (Auth().IsMatch(text))
            return new AgentFailure(FailureClass.Auth, reason);
        return null;
    }

    /// <summary>
    /// A reset time in the text: "retry after 30s", "try again in 5 minutes", "resets at 2026-11-23T10:00:00Z",
    /// "reset at 3pm" is not guessed at (no time zone). Null when there is none.
    /// </summary>
    public static DateTimeOffset? ResetTime(string text, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(text);
        var at = ResetAt().Match(text);
        if (at.Success && DateTimeOffset.TryParse(at.Groups["t"].Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when))
            return when;
        var epoch = ResetEpoch().Match(text);
        if (epoch.Success && long.TryParse(epoch.Groups["s"].Value, CultureInfo.InvariantCulture, out var seconds) && seconds > 1_000_000_000)
            return DateTimeOffset.FromUnixTimeSeconds(seconds);
        var rel = ResetIn().Match(text);
        if (!rel.Success || !double.TryParse(rel.Groups["n"].Value, CultureInfo.InvariantCulture, out var n))
            return null;
        var unit = rel.Groups["u"].Value.ToLowerInvariant();
        var span = unit switch
        {
            _ when unit.StartsWith("ms", StringComparison.Ordinal) || unit.StartsWith("milli", StringComparison.Ordinal) => TimeSpan.FromMilliseconds(n),
            _ when unit.StartsWith('h') => TimeSpan.FromHours(n),
            _ when unit.StartsWith('m') => TimeSpan.FromMinutes(n),
            _ => TimeSpan.FromSeconds(n),
        };
        return span > TimeSpan.FromDays(7) ? null : now + span;
    }

    public static string Trim(string text, int max = 500)
    {
        ArgumentNullException.ThrowIfNull(text);
        var one = string.Join(' ', text.Split((char[])['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return one.Length <= max ? one : one[..max] + "…";
    }

    [GeneratedRegex(@"\b429\b|rate[ _-]?limit|too many requests|usage limit", RegexOptions.IgnoreCase)]
    private static partial Regex RateLimit();

    [GeneratedRegex(@"insufficient[_ ]quota|quota (exceeded|exhausted)|exceeded your (current )?quota|credit balance is too low|billing", RegexOptions.IgnoreCase)]
    private static partial Regex Quota();

    [GeneratedRegex(@"context[_ ]length|context window|maximum context|prompt is too long|too many tokens|context_length_exceeded", RegexOptions.IgnoreCase)]
    private static partial Regex Context();

    [GeneratedRegex(@"\b401\b|\b403\b|unauthori[sz]ed|invalid[_ ]api[_ ]key|authentication|invalid x-api-key|not logged in|please (log|sign) ?in", RegexOptions.IgnoreCase)]
    private static partial Regex Auth();

    [GeneratedRegex(@"(?:reset|resets|retry|try again)\s*(?:at|after)?:?\s*(?<t>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)", RegexOptions.IgnoreCase)]
    private static partial Regex ResetAt();

    [GeneratedRegex(@"(?:reset|resets|resets_at|reset_at)\D{0,4}(?<s>\d{10})\b", RegexOptions.IgnoreCase)]
    private static partial Regex ResetEpoch();

    [GeneratedRegex(@"(?:retry|try again|reset|resets|available)\s*(?:after|in)\s*(?<n>\d+(?:\.\d+)?)\s*(?<u>ms|milliseconds?|s|sec|seconds?|m|min|minutes?|h|hours?)\b", RegexOptions.IgnoreCase)]
    private static partial Regex ResetIn();
}
