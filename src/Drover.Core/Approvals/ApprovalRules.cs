using System.Text.Json;

namespace Drover.Core.Approvals;

/// <summary>The answer for one tool call: what to do, and the rule that decided it (null: no rule matched).</summary>
public sealed record ApprovalVerdict(ApprovalAction Action, ApprovalRule? Rule);

/// <summary>
/// Decides a tool call against the rules that apply to a job (SPEC §13), a pure function:
/// <list type="number">
/// <item>a matching <c>deny</c> rule (config, profile or job) denies;</item>
/// <item>else a matching rule a person added with <c>--always</c> decides (allow or deny);</item>
/// <item>else a matching <c>ask</c> rule asks;</item>
/// <item>else the call is allowed (a matching <c>allow</c> rule, or none at all, as before approvals existed).</item>
/// </list>
/// Config, profile and job rules are one list under deny &gt; ask &gt; allow, so a job's rules can only tighten the
/// config's: a job's <c>allow</c> never overrides a config <c>ask</c> or <c>deny</c>.
/// </summary>
public static class ApprovalRules
{
    public static ApprovalVerdict Decide(
        IEnumerable<ApprovalRule> configured, IEnumerable<ApprovalRule> always, string tool, JsonElement input, string? workspace)
    {
        ArgumentNullException.ThrowIfNull(configured);
        ArgumentNullException.ThrowIfNull(always);
        var matching = configured.Where(r => r.Matches(tool, input, workspace)).ToList();
        if (matching.Find(r => r.Action == ApprovalAction.Deny) is { } deny)
            return new ApprovalVerdict(ApprovalAction.Deny, deny);
        var remembered = always.Where(r => r.Matches(tool, input, workspace)).OrderByDescending(r => r.Action).FirstOrDefault();
        if (remembered is not null)
            return new ApprovalVerdict(remembered.Action, remembered);
        if (matching.Find(r => r.Action == ApprovalAction.Ask) is { } ask)
            return new ApprovalVerdict(ApprovalAction.Ask, ask);
        return new ApprovalVerdict(ApprovalAction.Allow, matching.FirstOrDefault());
    }

    /// <summary>Whether any rule can stop a call: with only <c>allow</c> rules (or none) the agent runs as without approvals.</summary>
    public static bool Enforced(IEnumerable<ApprovalRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        return rules.Any(r => r.Action != ApprovalAction.Allow);
    }

    /// <summary>
    /// The rule <c>--always</c> records for a call: the exact command for Bash (<c>Bash(git push origin main)</c>),
    /// the exact path for file tools and the exact URL for WebFetch, else the bare tool name.
    /// </summary>
    public static string ExactPattern(string tool, JsonElement input)
    {
        ArgumentNullException.ThrowIfNull(tool);
        string? arg = tool switch
        {
            "Bash" => Text(input, "command")?.Trim(),
            "WebFetch" => Text(input, "url"),
            "Edit" or "Write" or "MultiEdit" or "Read" => Text(input, "file_path"),
            "NotebookEdit" => Text(input, "notebook_path"),
            _ => null,
        };
        // Glob characters of the call's own text are escaped, so the rule matches this call and nothing wider.
        return arg is { Length: > 0 } ? $"{tool}({Escape(arg)})" : tool;
    }

    private static string Escape(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("*", "\\*", StringComparison.Ordinal).Replace("?", "\\?", StringComparison.Ordinal);

    private static string? Text(JsonElement input, string key) =>
        input.ValueKind == JsonValueKind.Object && input.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
