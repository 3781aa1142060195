using System.Collections.Concurrent;
using Drover.Core.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Engines.Workspaces;

/// <summary>
/// Per-job git worktrees (SPEC §7 step 1): <c>&lt;home&gt;/work/&lt;job-id&gt;</c> on branch
/// <c>drover/&lt;job-id&gt;</c>, checkpoints, diff stats and clean-up. Non-git repos run in place.
/// Every failure surfaces as <see cref="WorkspaceException"/> (class <c>infra</c>).
/// </summary>
public sealed class GitWorkspaces
{
    // git's worktree bookkeeping in a repo is not safe against itself: one add/remove at a time per repo
    // in this process; other processes are handled by retrying lock-file conflicts (GitCli).
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> RepoGates = new(StringComparer.Ordinal);

    private readonly ILogger _logger;
    private readonly RepoMirrors _mirrors;

    public GitWorkspaces(ILogger<GitWorkspaces>? logger = null, RepoMirrors? mirrors = null)
    {
        _logger = logger ?? NullLogger<GitWorkspaces>.Instance;
        _mirrors = mirrors ?? new RepoMirrors(logger: _logger);
    }

    public static string BranchName(long jobId) => $"drover/{jobId}";

    public static string WorktreePath(string home, long jobId) =>
        Path.GetFullPath(Path.Combine(home, "work", jobId.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>Creates the job's worktree, or reuses it (and its branch) on a retry.</summary>
    /// <param name="baseRef">The recorded base (a sha, or any ref); HEAD when null.</param>
    public async Task<Workspace> PrepareAsync(string repo, string home, long jobId, string? baseRef, CancellationToken ct)
    {
        GitLocation location;
        string baseSha;
        if (Core.Workspaces.RepoUrl.IsUrl(repo))
        {
            // A URL repo: the job's worktree and branch come from this host's mirror of it (SPEC §12).
            (var mirror, baseSha) = await WithIoErrorsAsync(() => _mirrors.EnsureAsync(home, repo, baseRef, ct));
            location = new GitLocation(mirror, mirror, "");
        }
        else if (await GitLocator.LocateAsync(repo, _logger, ct) is { } local)
        {
            location = local;
            baseSha = await GitLocator.ResolveCommitAsync(location.TopLevel, baseRef ?? "HEAD", _logger, ct)
                ?? throw new WorkspaceException($"base '{baseRef}' is not a commit in {location.TopLevel}");
        }
        else
        {
            return Workspace.InPlace(repo);
        }

        var dir = WorktreePath(home, jobId);
        var branch = BranchName(jobId);
        await WithRepoGateAsync(location.CommonDir, async () =>
        {
            if (File.Exists(Path.Combine(dir, ".git")))
            {
                Log.WorktreeReused(_logger, dir, branch);
                return;
            }

            if (Directory.Exists(dir))
            {
                // A half-made worktree from a crashed add: it holds nothing worth keeping (checkpoints live on the branch).
                Directory.Delete(dir, recursive: true);
            }

            Directory.CreateDirectory(Path.GetDirectoryName(dir)!);
            await GitCli.RunCheckedAsync(location.TopLevel, _logger, ct, "worktree", "prune");
            var branchExists = (await GitCli.RunAsync(location.TopLevel, _logger, ct,
                "rev-parse", "--verify", "--quiet", $"refs/heads/{branch}")).Ok;
            if (branchExists)
            {
                // A retry resumes from the last checkpoint on the job branch.
                await GitCli.RunCheckedAsync(location.TopLevel, _logger, ct, "worktree", "add", "--quiet", dir, branch);
            }
            else
            {
                await GitCli.RunCheckedAsync(location.TopLevel, _logger, ct, "worktree", "add", "--quiet", "-b", branch, dir, baseSha);
            }

            Log.WorktreeCreated(_logger, dir, branch);
        }, ct);

        return new Workspace(Path.Combine(dir, location.Prefix), dir, true, branch, baseSha, location.Prefix);
    }

    /// <summary>Commits everything in the worktree (<c>git add -A</c>) when anything changed; returns whether it committed.
    /// Call only after the attempt's process group is dead.</summary>
    public async Task<bool> CheckpointAsync(Workspace workspace, string message, CancellationToken ct)
    {
        if (!workspace.IsGit)
        {
            return false;
        }

        await RemoveStaleIndexLockAsync(workspace.Root, ct);
        await GitCli.RunCheckedAsync(workspace.Root, _logger, ct, "add", "-A");
        var clean = await GitCli.RunAsync(workspace.Root, _logger, ct, "diff", "--cached", "--quiet");
        if (clean.ExitCode == 0)
        {
            await KeepOnJobBranchAsync(workspace, ct);
            return false;
        }

        // --no-verify: the repo's hooks judge the agent's work elsewhere (verify), not whether we may save it.
        await GitCli.RunCheckedAsync(workspace.Root, _logger, ct, "commit", "--quiet", "--no-verify", "-m", message);
        await KeepOnJobBranchAsync(workspace, ct);

        // Checkpoint: from here the attempt's work survives a crash of this worker, on drover/<job-id>.
        Log.Checkpointed(_logger, workspace.Root, await HeadAsync(workspace, ct) ?? "?");
        return true;
    }

    /// <summary>
    /// An agent may switch branches (or detach HEAD) in its worktree; its work still belongs on drover/&lt;job-id&gt;.
    /// Point the job branch at HEAD and check it out again, keeping the working tree as it is.
    /// </summary>
    private async Task KeepOnJobBranchAsync(Workspace workspace, CancellationToken ct)
    {
        if (workspace.Branch is not { } branch)
        {
            return;
        }

        var current = await GitCli.RunAsync(workspace.Root, _logger, ct, "symbolic-ref", "-q", "--short", "HEAD");
        if (current.ExitCode == 0 && current.FirstLine == branch)
        {
            return;
        }

        await GitCli.RunCheckedAsync(workspace.Root, _logger, ct, "checkout", "--quiet", "-B", branch);
    }

    /// <summary>The worktree's HEAD sha; null for non-git workspaces.</summary>
    public async Task<string?> HeadAsync(Workspace workspace, CancellationToken ct) =>
        workspace.IsGit ? (await GitCli.RunCheckedAsync(workspace.Root, _logger, ct, "rev-parse", "HEAD")).FirstLine : null;

    /// <summary>Files and +/- lines from the base to HEAD (renames count as delete + add; a binary file counts as a file with 0 lines).</summary>
    public async Task<DiffStats?> DiffStatsAsync(Workspace workspace, CancellationToken ct)
    {
        if (!workspace.IsGit)
        {
            return null;
        }

        var output = await GitCli.RunCheckedAsync(workspace.Root, _logger, ct,
            "diff", "--numstat", "--no-renames", "-z", workspace.BaseSha!, "HEAD");
        int files = 0, added = 0, deleted = 0;
        foreach (var entry in output.Stdout.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = entry.Split('\t', 3);
            if (parts.Length < 3)
            {
                continue;
            }

            files++;
            added += int.TryParse(parts[0], out var a) ? a : 0;
            deleted += int.TryParse(parts[1], out var d) ? d : 0;
        }

        return new DiffStats(files, added, deleted);
    }

    /// <summary>Paths (relative to the git top level) that differ between the base and HEAD.</summary>
    public async Task<IReadOnlyList<string>> ChangedFilesAsync(Workspace workspace, CancellationToken ct)
    {
        if (!workspace.IsGit)
        {
            return [];
        }

        var output = await GitCli.RunCheckedAsync(workspace.Root, _logger, ct,
            "diff", "--name-only", "--no-renames", "-z", workspace.BaseSha!, "HEAD");
        return output.Stdout.Split('\0', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Removes the job's worktree directory; the branch (and its checkpoints) stays. False when there was none.</summary>
    public async Task<bool> RemoveAsync(string home, long jobId, CancellationToken ct)
    {
        var dir = WorktreePath(home, jobId);
        if (!Directory.Exists(dir))
        {
            return false;
        }

        var common = await GitCli.RunAsync(dir, _logger, ct, "rev-parse", "--path-format=absolute", "--git-common-dir");
        if (common.Ok && File.Exists(Path.Combine(dir, ".git")))
        {
            var commonDir = common.FirstLine;
            await WithRepoGateAsync(commonDir, async () =>
            {
                await GitCli.RunAsync(commonDir, _logger, ct, "worktree", "remove", "--force", "--force", dir);
                DeleteIfPresent(dir);
                await GitCli.RunAsync(commonDir, _logger, ct, "worktree", "prune");
            }, ct);
        }
        else
        {
            DeleteIfPresent(dir);
        }

        Log.WorktreeRemoved(_logger, dir);
        return true;
    }

    /// <summary>Removes leftover worktrees of jobs that reached a terminal state (worker start-up, SPEC §6). Returns how many.</summary>
    public async Task<int> CleanOrphansAsync(string home, IEnumerable<long> terminalJobIds, CancellationToken ct)
    {
        var removed = 0;
        foreach (var jobId in terminalJobIds)
        {
            if (await RemoveAsync(home, jobId, ct))
            {
                removed++;
            }
        }

        return removed;
    }

    private async Task RemoveStaleIndexLockAsync(string root, CancellationToken ct)
    {
        // The agent's group is dead, so an index.lock in this worktree's own git dir is an interrupted
        // `git` of the agent's, not a live one: without this, every later checkpoint would fail.
        var gitDir = await GitCli.RunCheckedAsync(root, _logger, ct, "rev-parse", "--path-format=absolute", "--git-dir");
        var lockFile = Path.Combine(gitDir.FirstLine, "index.lock");
        if (File.Exists(lockFile))
        {
            File.Delete(lockFile);
        }
    }

    private static void DeleteIfPresent(string dir)
    {
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<T> WithIoErrorsAsync<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WorkspaceException($"workspace I/O failed: {e.Message}", e);
        }
    }

    private static async Task WithRepoGateAsync(string commonDir, Func<Task> action, CancellationToken ct)
    {
        var gate = RepoGates.GetOrAdd(commonDir, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            await action();
        }
        catch (IOException e)
        {
            throw new WorkspaceException($"workspace I/O failed: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new WorkspaceException($"workspace I/O failed: {e.Message}", e);
        }
        finally
        {
            gate.Release();
        }
    }
}
