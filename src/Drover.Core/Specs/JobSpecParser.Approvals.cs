using System.Text.Json.Nodes;
using Drover.Core.Approvals;

namespace Drover.Core.Specs;

public static partial class JobSpecParser
{
    /// <summary>At most this many rules per job (profile's and job's together).</summary>
    private const int MaxApprovalRules = 200;

    /// <summary>
    /// <c>approvals</c>: tool-approval rules, each <c>"ask Bash(git push*)"</c> or <c>{tool: "Bash(git push*)", action: "ask"}</c>;
    /// stored in the compact form.
    /// </summary>
    private static List<string> Approvals(SpecReader r)
    {
        if (r.Node("approvals") is not { } node)
            return [];
        if (node is not JsonArray array)
            throw r.Error("approvals", $"expected a list of rules, got {SpecReader.Kind(node)}");
        if (array.Count > MaxApprovalRules)
            throw r.Error("approvals", $"{array.Count} rules exceed the limit of {MaxApprovalRules}");
        var rules = new List<string>();
        foreach (var item in array)
        {
            try
            {
                var rule = item switch
                {
                    JsonValue v when v.TryGetValue<string>(out var text) => ApprovalRule.Parse(text),
                    JsonObject o when o.Count == 2 && o["tool"] is JsonValue t && t.TryGetValue<string>(out var tool)
                        && o["action"] is JsonValue a && a.TryGetValue<string>(out var action) => ApprovalRule.Create(tool, action),
                    _ => throw new FormatException($"a rule is \"ACTION TOOL\" or {{tool, action}}, found {SpecReader.Kind(item)}"),
                };
                rules.Add(rule.ToString());
            }
            catch (FormatException e)
            {
                throw r.Error("approvals", e.Message);
            }
        }

        return rules;
    }
}
