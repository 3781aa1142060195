namespace Drover.Core.Specs;

/// <summary>
/// The engines a job may name: the built-in drivers plus custom engines configured in drover.toml
/// (<c>[engines.NAME] command = …</c>). A misspelt engine is rejected at submit with a suggestion
/// instead of waiting in the queue for a worker that will never have it.
/// </summary>
public static class EngineNames
{
    /// <summary>The engines every worker knows how to run (SPEC §8); <c>chat</c> has no driver yet.</summary>
    public static readonly IReadOnlyList<string> BuiltIn = ["shell", "claude", "codex", "gemini", "opencode", "qwen", "aider"];

    /// <summary>The closest known name within two edits, for "did you mean …?".</summary>
    public static string? Suggest(string name, IEnumerable<string> known)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(known);
        string? best = null;
        var bestDistance = 3;
        foreach (var candidate in known)
        {
            var d = Distance(name, candidate);
            if (d < bestDistance)
            {
                best = candidate;
                bestDistance = d;
            }
        }

        return best;
    }

    /// <summary>Levenshtein distance (insertions, deletions, substitutions).</summary>
    private static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
            prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }

        return prev[b.Length];
    }
}
