namespace Drover.Core.Scheduling;

/// <summary>
/// Matches a job's required capabilities against a worker's advertised ones (SPEC §3, §5).
/// A worker advertises plain tags (<c>os:linux</c>, <c>has:docker</c>, <c>engine:shell</c>) and
/// versioned ones as <c>name=version</c> (<c>node=20.11.1</c>, <c>engine:codex=0.169.0</c>).
/// A job requires a tag (present verbatim) or <c>name OP version</c> with OP one of
/// <c>&gt;= &lt;= &gt; &lt; = == !=</c>, compared numerically part by part (<c>node&gt;=20</c>).
/// </summary>
public static class CapabilityMatcher
{
    private static readonly string[] Operators = [">=", "<=", "!=", "==", ">", "<", "="];

    public static bool Satisfies(IReadOnlyList<string> workerCaps, IReadOnlyList<string> required)
    {
        foreach (var req in required)
        {
            if (!SatisfiesOne(workerCaps, req))
                return false;
        }

        return true;
    }

    /// <summary>Splits <c>node&gt;=20</c> into (node, &gt;=, 20); a plain tag gives (tag, null, null).</summary>
    public static (string Name, string? Op, string? Version) Parse(string requirement)
    {
        foreach (var op in Operators)
        {
            var i = requirement.IndexOf(op, StringComparison.Ordinal);
            if (i > 0)
                return (requirement[..i].Trim(), op, requirement[(i + op.Length)..].Trim());
        }

        return (requirement.Trim(), null, null);
    }

    /// <summary>True when <paramref name="version"/> is dotted numbers (1, 20.11, 0.169.0), optionally with a -suffix.</summary>
    public static bool IsVersion(string version) => TryParseVersion(version, out _);

    private static bool SatisfiesOne(IReadOnlyList<string> workerCaps, string requirement)
    {
        var (name, op, version) = Parse(requirement);
        if (op is null)
            return workerCaps.Contains(name, StringComparer.Ordinal);

        if (!TryParseVersion(version!, out var want))
            return false;

        foreach (var cap in workerCaps)
        {
            var eq = cap.LastIndexOf('=');
            if (eq <= 0 || !string.Equals(cap[..eq], name, StringComparison.Ordinal))
                continue;
            if (!TryParseVersion(cap[(eq + 1)..], out var have))
                continue;
            var cmp = Compare(have, want);
            var ok = op switch
            {
                ">=" => cmp >= 0,
                "<=" => cmp <= 0,
                ">" => cmp > 0,
                "<" => cmp < 0,
                "!=" => cmp != 0,
                _ => cmp == 0,
            };
            if (ok)
                return true;
        }

        return false;
    }

    private static bool TryParseVersion(string text, out long[] parts)
    {
        var core = text.Trim().TrimStart('v');
        var dash = core.IndexOfAny(['-', '+', ' ']);
        if (dash >= 0)
            core = core[..dash];
        var pieces = core.Split('.');
        parts = new long[pieces.Length];
        for (var i = 0; i < pieces.Length; i++)
        {
            if (!long.TryParse(pieces[i], System.Globalization.NumberStyles.None, null, out parts[i]))
                return false;
        }

        return pieces.Length > 0;
    }

    private static int Compare(long[] a, long[] b)
    {
        for (var i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            var x = i < a.Length ? a[i] : 0;
            var y = i < b.Length ? b[i] : 0;
            if (x != y)
                return x.CompareTo(y);
        }

        return 0;
    }
}
