using System.Globalization;
using Drover.Core.Configuration;
using Drover.Core.Jobs;
using Drover.Core.Storage;
using Drover.Engines.Workspaces;
using Drover.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Supervision;

/// <summary>
/// Worktrees under <c>&lt;home&gt;/work</c> do not pile up (SPEC §6): a job's goes when it ends unless
/// <c>[workspaces] keep</c> keeps it, and a sweep (worker start, <c>drover gc</c>) removes those of ended jobs the
/// policy does not keep and of jobs that no longer exist. Removal is <c>git worktree remove --force</c> and
/// <c>git worktree prune</c>; the job branch, which holds the work, is never deleted.
/// </summary>
public sealed class Worktrees(IJobStore store, DroverHome home, WorkspaceKeep keep, ILogger logger)
{
    private readonly GitWorkspaces _git = new();

    /// <summary>Whether <paramref name="keep"/> keeps the worktree of a job that ended in <paramref name="state"/>.</summary>
    public static bool Keeps(WorkspaceKeep keep, JobState state) => keep switch
    {
        WorkspaceKeep.All => true,
        WorkspaceKeep.Failed => state == JobState.Failed,
        _ => false,
    };

    /// <summary>After an attempt: removes the job's worktree when the job has ended and the policy does not keep it.</summary>
    public async Task AfterAttemptAsync(long jobId, JobState? state, CancellationToken ct)
    {
        if (state is not { } ended || !ended.IsTerminal() || Keeps(keep, ended))
            return;
        await RemoveAsync(jobId, ct);
    }

    /// <summary>Removes the worktrees of ended jobs the policy does not keep and of jobs the store no longer has. Returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        if (!Directory.Exists(home.WorkDir))
            return 0;
        var removed = 0;
        foreach (var dir in Directory.EnumerateDirectories(home.WorkDir))
        {
            if (!long.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var jobId))
                continue;
            var job = await store.JobGetAsync(jobId, ct);
            if (job is not null && (!job.State.IsTerminal() || Keeps(keep, job.State)))
                continue;
            if (await RemoveAsync(jobId, ct))
                removed++;
        }

        if (removed > 0)
            Log.WorktreesSwept(logger, removed, home.WorkDir);
        return removed;
    }

    private async Task<bool> RemoveAsync(long jobId, CancellationToken ct)
    {
        try
        {
            return await _git.RemoveAsync(home.Root, jobId, ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or WorkspaceException)
        {
            Log.WorktreeRemoveFailed(logger, e, jobId);
            return false;
        }
    }
}
