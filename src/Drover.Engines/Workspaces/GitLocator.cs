using Microsoft.Extensions.Logging;

namespace Drover.Engines.Workspaces;

/// <summary>Read-only questions to git about a directory.</summary>
internal static class GitLocator
{
    /// <summary>Where <paramref name="dir"/> sits in git, or null when it is not inside a git work tree.</summary>
    public static async Task<GitLocation?> LocateAsync(string dir, ILogger logger, CancellationToken ct)
    {
        if (!Directory.Exists(dir))
        {
            throw new WorkspaceException($"repo {dir} does not exist");
        }

        var output = await GitCli.RunAsync(dir, logger, ct,
            "rev-parse", "--path-format=absolute", "--show-toplevel", "--git-common-dir", "--show-prefix");
        if (!output.Ok)
        {
            return output.Stderr.Contains("not a git repository", StringComparison.Ordinal)
                ? null
                : throw new WorkspaceException($"git cannot read {dir}: {output.Stderr.Trim()}");
        }

        var lines = output.Stdout.Split('\n');
        return new GitLocation(lines[0], lines[1], lines.Length > 2 ? lines[2] : "");
    }

    /// <summary>The commit sha <paramref name="gitRef"/> names, or null when it names none.</summary>
    public static async Task<string?> ResolveCommitAsync(string dir, string gitRef, ILogger logger, CancellationToken ct)
    {
        if (gitRef.StartsWith('-'))
        {
            return null; // would be read as an option
        }

        var output = await GitCli.RunAsync(dir, logger, ct, "rev-parse", "--verify", "--quiet", $"{gitRef}^{{commit}}");
        return output.Ok ? output.FirstLine : null;
    }
}
