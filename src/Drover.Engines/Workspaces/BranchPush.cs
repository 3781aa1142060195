using Microsoft.Extensions.Logging;

namespace Drover.Engines.Workspaces;

/// <summary>How a push ended: <see cref="Ok"/>, or why not and whether trying again later can help.</summary>
public sealed record PushResult(bool Ok, string? Problem, bool Transient, bool Rejected)
{
    public static readonly PushResult Pushed = new(true, null, false, false);
}

/// <summary>
/// Pushes a job's branch to its remote (SPEC §12) with Drover's own git and the <c>[[forges]]</c> token
/// (<see cref="RemoteGit"/>), never with force: a remote branch that has commits the job's branch lacks is left as it
/// is and the push reported <see cref="PushResult.Rejected"/>.
/// </summary>
public sealed class BranchPush(RemoteGit? remote = null, ILogger? logger = null)
{
    private readonly RemoteGit _remote = remote ?? new RemoteGit();
    private readonly ILogger _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    /// <summary>Pushes <c>refs/heads/<paramref name="branch"/></c> of the repository at <paramref name="gitDir"/> to <paramref name="target"/> on <paramref name="url"/>.</summary>
    public async Task<PushResult> PushAsync(string gitDir, string url, string branch, string target, CancellationToken ct)
    {
        if (branch.StartsWith('-') || target.StartsWith('-'))
            return new PushResult(false, $"not a branch name: {branch} -> {target}", false, false);
        var output = await _remote.RunAsync(gitDir, url, _logger, ct, "push", "--porcelain", "--", url, $"refs/heads/{branch}:refs/heads/{target}");
        if (output.Ok)
            return PushResult.Pushed;
        var text = (output.Stdout + "\n" + output.Stderr).Trim();
        if (text.Contains("[rejected]", StringComparison.Ordinal) || text.Contains("non-fast-forward", StringComparison.Ordinal)
            || text.Contains("fetch first", StringComparison.Ordinal))
        {
            return new PushResult(false, $"the remote's {target} has commits {branch} lacks: the push was rejected as non-fast-forward and nothing was overwritten", false, true);
        }

        var last = LastLine(output.Stderr.Length > 0 ? output.Stderr : output.Stdout);
        var final = text.Contains("Authentication failed", StringComparison.OrdinalIgnoreCase)
            || text.Contains("could not read Username", StringComparison.OrdinalIgnoreCase)
            || text.Contains("Permission denied", StringComparison.OrdinalIgnoreCase)
            || text.Contains("not found", StringComparison.OrdinalIgnoreCase)
            || text.Contains("does not appear to be a git repository", StringComparison.OrdinalIgnoreCase)
            || text.Contains("src refspec", StringComparison.Ordinal)
            || text.Contains("[remote rejected]", StringComparison.Ordinal);
        return new PushResult(false, $"git push to {url} failed (exit {output.ExitCode}): {last}", !final, false);
    }

    /// <summary>The branch the remote's HEAD names (its default branch), or null when it cannot be read.</summary>
    public async Task<string?> DefaultBranchAsync(string url, CancellationToken ct)
    {
        var output = await _remote.RunAsync(Path.GetTempPath(), url, _logger, ct, "ls-remote", "--symref", "--", url, "HEAD");
        if (!output.Ok)
            return null;
        foreach (var line in output.Stdout.Split('\n'))
        {
            // ref: refs/heads/main	HEAD
            if (line.StartsWith("ref: refs/heads/", StringComparison.Ordinal) && line.EndsWith("\tHEAD", StringComparison.Ordinal))
                return line["ref: refs/heads/".Length..^"\tHEAD".Length];
        }

        return null;
    }

    /// <summary>The URL of the remote <paramref name="name"/> of a local repository, or null when it has none.</summary>
    public async Task<string?> RemoteUrlAsync(string repoDir, string name, CancellationToken ct)
    {
        var output = await GitCli.RunAsync(repoDir, _logger, ct, "remote", "get-url", name);
        return output.Ok && output.FirstLine.Length > 0 ? output.FirstLine : null;
    }

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => !l.StartsWith("hint:", StringComparison.Ordinal)) ?? "no output";
}
