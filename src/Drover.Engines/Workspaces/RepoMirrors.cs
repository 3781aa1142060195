using System.Text.RegularExpressions;
using Drover.Core.Workspaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Engines.Workspaces;

/// <summary>
/// Per-host bare mirrors of URL repos (SPEC §12) under <c>&lt;home&gt;/repos/&lt;host&gt;/&lt;path&gt;.git</c>.
/// A mirror is made once and fetched only when a job's base is missing from it, under a file lock
/// (several processes may share a home): many slots, one fetch. The remote's branches land in
/// <c>refs/remotes/origin/*</c>, so a pruning fetch never touches the jobs' <c>drover/&lt;id&gt;</c> branches.
/// </summary>
public sealed partial class RepoMirrors
{
    private static readonly string[] FetchRefspecs =
        ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*", "+HEAD:refs/remotes/origin/HEAD"];

    private readonly RemoteGit _remote;
    private readonly ILogger _logger;
    private int _fetches;

    public RepoMirrors(RemoteGit? remote = null, ILogger? logger = null)
    {
        _remote = remote ?? new RemoteGit();
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>How many clones and fetches this instance ran (bench and tests).</summary>
    public int Fetches => _fetches;

    [GeneratedRegex("^[0-9a-f]{40}([0-9a-f]{24})?$")]
    private static partial Regex FullSha();

    public static string MirrorPath(string home, string url) =>
        Path.GetFullPath(Path.Combine(home, "repos", RepoUrl.MirrorRelativePath(url)));

    /// <summary>The mirror of <paramref name="url"/>, holding <paramref name="baseRef"/>, and the base's sha. A recorded sha
    /// already in the mirror needs no fetch; a missing one, or a ref (which may have moved), fetches.</summary>
    public async Task<(string Mirror, string BaseSha)> EnsureAsync(string home, string url, string? baseRef, CancellationToken ct)
    {
        var mirror = MirrorPath(home, url);
        Directory.CreateDirectory(Path.GetDirectoryName(mirror)!);
        await using var held = await LockAsync(mirror + ".lock", ct);
        if (!File.Exists(Path.Combine(mirror, "HEAD")) || !Directory.Exists(Path.Combine(mirror, "objects")))
        {
            if (Directory.Exists(mirror))
                Directory.Delete(mirror, recursive: true); // a half-made mirror from a crash
            await GitCli.RunCheckedAsync(Path.GetDirectoryName(mirror)!, _logger, ct, "init", "--quiet", "--bare", mirror);
            await GitCli.RunCheckedAsync(mirror, _logger, ct, "remote", "add", "origin", url);
            await FetchAsync(mirror, url, "cloned", ct);
        }
        else if (baseRef is not null && FullSha().IsMatch(baseRef) && await ResolveAsync(mirror, baseRef, ct) is { } present)
        {
            Touch(mirror);
            return (mirror, present);
        }
        else
        {
            await FetchAsync(mirror, url, "fetched", ct);
        }

        Touch(mirror);
        return (mirror, await ResolveAsync(mirror, baseRef, ct)
            ?? throw new WorkspaceException(baseRef is null
                ? $"{url} has no HEAD commit"
                : $"base '{baseRef}' is not a commit of {url}"));
    }

    /// <summary>The sha of the remote's HEAD (or of <paramref name="gitRef"/>: a branch, a tag or a full sha) without a mirror; null when unreachable.</summary>
    public async Task<string?> LsRemoteAsync(string url, string? gitRef, CancellationToken ct)
    {
        if (gitRef is not null && FullSha().IsMatch(gitRef))
            return gitRef;
        if (gitRef is not null && gitRef.StartsWith('-'))
            return null;
        var name = gitRef ?? "HEAD";
        var output = await _remote.RunAsync(Path.GetTempPath(), url, _logger, ct, "ls-remote", "--", url, name, $"{name}^{{}}");
        if (!output.Ok)
            return null;
        var refs = output.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('\t'))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[1], p => p[0], StringComparer.Ordinal);
        string[] order = gitRef is null ? ["HEAD"] : [$"refs/heads/{name}", $"refs/tags/{name}^{{}}", $"refs/tags/{name}", name];
        return order.Select(r => refs.GetValueOrDefault(r)).FirstOrDefault(sha => sha is not null);
    }

    /// <summary>
    /// Deletes the mirrors under <c>&lt;home&gt;/repos</c> that no job's worktree uses and that no claim has used since
    /// <paramref name="unusedSince"/> (gc: past the job retention, the ended jobs and their branches are gone too). Returns how many.
    /// </summary>
    public async Task<int> PruneAsync(string home, DateTimeOffset unusedSince, CancellationToken ct)
    {
        var root = Path.Combine(home, "repos");
        if (!Directory.Exists(root))
            return 0;
        var removed = 0;
        var mirrors = Directory.EnumerateDirectories(root, "*.git", SearchOption.AllDirectories)
            .Where(d => File.Exists(Path.Combine(d, "HEAD")))
            .ToList();
        foreach (var mirror in mirrors)
        {
            await using var held = await LockAsync(mirror + ".lock", ct);
            if (Directory.GetLastWriteTimeUtc(mirror) >= unusedSince.UtcDateTime)
                continue;
            await GitCli.RunAsync(mirror, _logger, ct, "worktree", "prune");
            var worktrees = Path.Combine(mirror, "worktrees");
            if (Directory.Exists(worktrees) && Directory.EnumerateFileSystemEntries(worktrees).Any())
                continue;
            // Until a job's branch is pushed, the mirror holds the only copy of its work: keep every mirror that has one.
            var branches = await GitCli.RunAsync(mirror, _logger, ct, "for-each-ref", "--count=1", "--format=%(refname)", "refs/heads/drover/");
            if (!branches.Ok || branches.Stdout.Trim().Length > 0)
                continue;
            Directory.Delete(mirror, recursive: true);
            File.Delete(mirror + ".lock");
            Log.MirrorPruned(_logger, mirror);
            removed++;
        }

        return removed;
    }

    private async Task FetchAsync(string mirror, string url, string action, CancellationToken ct)
    {
        await _remote.RunCheckedAsync(mirror, url, _logger, ct, ["fetch", "--quiet", "--prune", "--no-tags", "origin", .. FetchRefspecs]);
        Interlocked.Increment(ref _fetches);
        Log.MirrorFetched(_logger, mirror, action);
    }

    private async Task<string?> ResolveAsync(string mirror, string? baseRef, CancellationToken ct)
    {
        if (baseRef is null)
            return await GitLocator.ResolveCommitAsync(mirror, "refs/remotes/origin/HEAD", _logger, ct);
        return await GitLocator.ResolveCommitAsync(mirror, $"refs/remotes/origin/{baseRef}", _logger, ct)
            ?? await GitLocator.ResolveCommitAsync(mirror, baseRef, _logger, ct);
    }

    private static void Touch(string mirror) => Directory.SetLastWriteTimeUtc(mirror, DateTime.UtcNow);

    /// <summary>An exclusive lock on <paramref name="path"/> across processes (.NET takes flock for FileShare.None on Unix).</summary>
    internal static async Task<FileStream> LockAsync(string path, CancellationToken ct)
    {
        for (var delay = 20; ; delay = Math.Min(delay * 2, 500))
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(delay, ct);
            }
        }
    }
}
