using Microsoft.Extensions.FileSystemGlobbing;

namespace Drover.Engines.Attempts;

/// <summary>Checks changed files against a job's <c>allowed_paths</c> globs (<c>src/**</c>, <c>docs/*.md</c>, <c>README.md</c>).
/// Matching is case-sensitive and relative to the job's repo directory; a trailing "/" means everything below.</summary>
public static class ScopeCheck
{
    /// <param name="changedFiles">Paths relative to the git top level, '/'-separated.</param>
    /// <param name="prefix">The job repo's path below the top level ("" or "sub/dir/"): files outside it are always out of scope.</param>
    /// <returns>The changed files no glob allows, in input order; empty when <paramref name="allowedPaths"/> is empty.</returns>
    public static IReadOnlyList<string> OutOfScope(IEnumerable<string> changedFiles, IReadOnlyList<string> allowedPaths, string prefix = "")
    {
        if (allowedPaths.Count == 0)
        {
            return [];
        }

        var matcher = new Matcher(StringComparison.Ordinal);
        foreach (var glob in allowedPaths)
        {
            var pattern = glob.Trim().TrimStart('/');
            if (pattern.StartsWith("./", StringComparison.Ordinal))
            {
                pattern = pattern[2..];
            }

            matcher.AddInclude(pattern.EndsWith('/') ? pattern + "**" : pattern);
        }

        var outside = new List<string>();
        foreach (var file in changedFiles)
        {
            var inRepo = file.StartsWith(prefix, StringComparison.Ordinal);
            if (!inRepo || !matcher.Match(file[prefix.Length..]).HasMatches)
            {
                outside.Add(file);
            }
        }

        return outside;
    }

    /// <summary>A short list for reasons and log lines: the first few names and how many more.</summary>
    public static string Describe(IReadOnlyList<string> files, int show = 10) =>
        files.Count <= show
            ? string.Join(", ", files)
            : $"{string.Join(", ", files.Take(show))} and {files.Count - show} more";
}
