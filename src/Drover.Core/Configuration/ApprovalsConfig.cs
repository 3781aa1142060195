using Drover.Core.Approvals;
using Tomlyn.Model;

namespace Drover.Core.Configuration;

/// <summary><c>[approvals]</c>: tool-approval rules for every job (SPEC §13) and how long an <c>ask</c> waits for a person.</summary>
public sealed record ApprovalsConfig
{
    /// <summary>Rules every job gets; a job's or profile's own rules are added to them and can only tighten them.</summary>
    public IReadOnlyList<ApprovalRule> Rules { get; init; } = [];

    /// <summary>An <c>ask</c> no one answers within this long is denied (decided_by <c>timeout</c>).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);
}

public static partial class DroverConfigLoader
{
    private static ApprovalsConfig Approvals(TomlSection? s)
    {
        var d = new ApprovalsConfig();
        if (s is null)
            return d;
        s.AllowOnly("rules", "timeout");
        var rules = new List<ApprovalRule>();
        if (s.Table.TryGetValue("rules", out var value))
        {
            if (value is not TomlArray array)
                throw s.Error("rules", $"expected an array of rules, got {TomlSection.Kind(value)}");
            foreach (var item in array)
                rules.Add(Rule(s, item));
        }

        return new ApprovalsConfig { Rules = rules, Timeout = s.Duration("timeout", TimeSpan.FromSeconds(1), TimeSpan.FromDays(1)) ?? d.Timeout };
    }

    /// <summary><c>"ask Bash(git push*)"</c> or <c>{ tool = "Bash(git push*)", action = "ask" }</c>.</summary>
    private static ApprovalRule Rule(TomlSection s, object? item)
    {
        try
        {
            return item switch
            {
                string text => ApprovalRule.Parse(text),
                TomlTable t when t.Count == 2 && t.TryGetValue("tool", out var tool) && tool is string toolText
                    && t.TryGetValue("action", out var action) && action is string actionText => ApprovalRule.Create(toolText, actionText),
                _ => throw new FormatException($"a rule is \"ACTION TOOL\" or {{ tool = \"…\", action = \"allow|ask|deny\" }}, found {TomlSection.Kind(item)}"),
            };
        }
        catch (FormatException e)
        {
            throw s.Error("rules", e.Message);
        }
    }
}
