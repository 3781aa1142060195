using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Drover.Core.Approvals;

/// <summary>What a rule says about a tool call (SPEC §13). Order matters: a stricter action has a higher value.</summary>
public enum ApprovalAction
{
    Allow = 0,
    Ask = 1,
    Deny = 2,
}

/// <summary>
/// One tool-approval rule: a pattern over tool calls and what to do with a call it matches. Patterns: a bare tool
/// name (<c>WebFetch</c>, <c>mcp__github__create_issue</c>, <c>*</c> allowed: <c>mcp__github__*</c>), or a tool with an
/// argument glob: <c>Bash(git push*)</c> over the command (<c>*</c> matches anything), <c>Edit(src/**)</c> over the
/// path (Edit, Write, MultiEdit, NotebookEdit, Read; <c>*</c> within a directory, <c>**</c> across them; relative
/// globs are relative to the job's workspace), <c>WebFetch(https://example.com/*)</c> over the URL.
/// Written as <c>"ask Bash(git push*)"</c> or <c>{ tool = "Bash(git push*)", action = "ask" }</c>.
/// </summary>
public sealed partial record ApprovalRule(string Tool, ApprovalAction Action)
{
    private static readonly string[] PathKeys = ["file_path", "notebook_path", "path"];

    /// <summary>The tool name part of <see cref="Tool"/>.</summary>
    public string Name => Tool.IndexOf('(', StringComparison.Ordinal) is var i and >= 0 ? Tool[..i] : Tool;

    /// <summary>The argument glob of <see cref="Tool"/>; null for a bare tool name.</summary>
    public string? Argument => Tool.IndexOf('(', StringComparison.Ordinal) is var i and >= 0 ? Tool[(i + 1)..^1] : null;

    /// <summary>The compact form, <c>"ask Bash(git push*)"</c>: what specs store.</summary>
    public override string ToString() => $"{ActionName(Action)} {Tool}";

    public static string ActionName(ApprovalAction action) => action switch
    {
        ApprovalAction.Allow => "allow",
        ApprovalAction.Ask => "ask",
        _ => "deny",
    };

    /// <summary>allow, ask or deny; null for anything else.</summary>
    public static ApprovalAction? ParseAction(string? text) => text switch
    {
        "allow" => ApprovalAction.Allow,
        "ask" => ApprovalAction.Ask,
        "deny" => ApprovalAction.Deny,
        _ => null,
    };

    /// <summary>The compact form <c>"ACTION PATTERN"</c>; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static ApprovalRule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        var space = trimmed.IndexOf(' ', StringComparison.Ordinal);
        if (space < 0)
            throw new FormatException($"\"{text}\" is not \"ACTION TOOL\" (e.g. \"ask Bash(git push*)\")");
        return Create(trimmed[(space + 1)..].Trim(), trimmed[..space]);
    }

    /// <summary>A rule from its two parts; throws <see cref="FormatException"/> naming the bad part.</summary>
    public static ApprovalRule Create(string tool, string action)
    {
        ArgumentNullException.ThrowIfNull(tool);
        var parsed = ParseAction(action) ?? throw new FormatException($"action \"{action}\" is not one of allow, ask, deny");
        if (!Pattern().IsMatch(tool))
            throw new FormatException($"tool \"{tool}\" is not a tool name (letters, digits, _ - *) optionally followed by (GLOB), e.g. Bash(git push*), Edit(src/**), WebFetch");
        return new ApprovalRule(tool, parsed);
    }

    /// <summary>Whether this rule's pattern matches a call of <paramref name="tool"/> with <paramref name="input"/>.</summary>
    public bool Matches(string tool, JsonElement input, string? workspace)
    {
        ArgumentNullException.ThrowIfNull(tool);
        if (!Glob(Name, anySeparator: true).IsMatch(tool))
            return false;
        if (Argument is not { } glob)
            return true;
        if (tool == "Bash")
            return Text(input, "command") is { } command && Glob(glob, anySeparator: true).IsMatch(command.Trim());
        if (tool == "WebFetch")
            return Text(input, "url") is { } url && Glob(glob, anySeparator: true).IsMatch(url);
        foreach (var key in PathKeys)
        {
            if (Text(input, key) is { } path)
                return Glob(glob, anySeparator: false).IsMatch(Relative(path, glob, workspace));
        }

        return false;
    }

    /// <summary>A relative glob matches the path relative to the workspace; an absolute one the absolute path.</summary>
    private static string Relative(string path, string glob, string? workspace)
    {
        if (glob.StartsWith('/') || workspace is null)
            return path;
        var full = Path.GetFullPath(path, workspace);
        var rel = Path.GetRelativePath(workspace, full);
        return rel.StartsWith("..", StringComparison.Ordinal) ? full : rel;
    }

    private static string? Text(JsonElement input, string key) =>
        input.ValueKind == JsonValueKind.Object && input.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary><c>**</c> matches anything; <c>*</c> anything but <c>/</c> (anything at all with <paramref name="anySeparator"/>); <c>?</c> one character; <c>\\</c> makes the next character literal.</summary>
    internal static Regex Glob(string glob, bool anySeparator)
    {
        var re = new StringBuilder("^");
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            if (c == '\\' && i + 1 < glob.Length)
            {
                re.Append(Regex.Escape(glob[++i].ToString()));
            }
            else if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                // "src/**/x" also matches "src/x": the slash after ** is optional.
                var slash = i + 2 < glob.Length && glob[i + 2] == '/';
                re.Append(slash ? "(?:.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else if (c == '*')
            {
                re.Append(anySeparator ? ".*" : "[^/]*");
            }
            else if (c == '?')
            {
                re.Append(anySeparator ? "." : "[^/]");
            }
            else
            {
                re.Append(Regex.Escape(c.ToString()));
            }
        }

        return new Regex(re.Append('$').ToString(), RegexOptions.Singleline | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    [GeneratedRegex(@"^[A-Za-z0-9_*-]+(\(.+\))?$", RegexOptions.Singleline)]
    private static partial Regex Pattern();
}
