using Drover.Engines.Processes;
using Microsoft.Extensions.Logging;

namespace Drover.Engines;

/// <summary>All of Drover.Engines' log messages. Event ids are stable: 1xxx processes, 2xxx workspaces, 3xxx attempts.</summary>
internal static partial class Log
{
    [LoggerMessage(1001, LogLevel.Debug, "Started process {Pid} ({Program}) as a process group leader")]
    public static partial void ProcessStarted(ILogger logger, int pid, string program);

    [LoggerMessage(1002, LogLevel.Information, "Stopping process group {Pid}: {Reason}")]
    public static partial void ProcessKilling(ILogger logger, int pid, KillReason reason);

    [LoggerMessage(1003, LogLevel.Debug, "Process {Pid} exited with code {ExitCode} after {Seconds:F1}s")]
    public static partial void ProcessExited(ILogger logger, int pid, int exitCode, double seconds);

    [LoggerMessage(1004, LogLevel.Warning, "Process {Pid} is not its own group leader (pgid {Pgid}); group signals may miss it")]
    public static partial void NotGroupLeader(ILogger logger, int pid, int pgid);

    [LoggerMessage(1005, LogLevel.Warning, "Output pipes of process group {Pid} stayed open after it was killed; a descendant left the group")]
    public static partial void OutputNotClosed(ILogger logger, int pid);

    [LoggerMessage(1006, LogLevel.Warning, "Handling a stdout line of process {Pid} failed")]
    public static partial void LineCallbackFailed(ILogger logger, Exception exception, int pid);

    [LoggerMessage(2001, LogLevel.Information, "Created worktree {Path} on branch {Branch}")]
    public static partial void WorktreeCreated(ILogger logger, string path, string branch);

    [LoggerMessage(2002, LogLevel.Information, "Reusing worktree {Path} on branch {Branch}")]
    public static partial void WorktreeReused(ILogger logger, string path, string branch);

    [LoggerMessage(2003, LogLevel.Information, "Removed worktree {Path}")]
    public static partial void WorktreeRemoved(ILogger logger, string path);

    [LoggerMessage(2004, LogLevel.Warning, "git {Command} hit a lock file (try {Try}); retrying")]
    public static partial void GitLockRetry(ILogger logger, string command, int @try);

    [LoggerMessage(2005, LogLevel.Information, "Checkpointed {Path} at {Head}")]
    public static partial void Checkpointed(ILogger logger, string path, string head);

    [LoggerMessage(3001, LogLevel.Information, "Job {JobId} attempt {Attempt} finished: {Outcome} {Class}")]
    public static partial void AttemptFinished(ILogger logger, long jobId, int attempt, string outcome, string? @class);

    [LoggerMessage(3002, LogLevel.Warning, "Job {JobId} attempt {Attempt}: workspace failure")]
    public static partial void WorkspaceFailed(ILogger logger, Exception exception, long jobId, int attempt);

    [LoggerMessage(3003, LogLevel.Warning, "Job {JobId} attempt {Attempt}: reporting progress failed")]
    public static partial void ProgressFailed(ILogger logger, Exception exception, long jobId, int attempt);

    [LoggerMessage(3004, LogLevel.Warning, "Job {JobId} attempt {Attempt}: checkpoint after abort failed")]
    public static partial void AbortCheckpointFailed(ILogger logger, Exception exception, long jobId, int attempt);

    [LoggerMessage(5340, LogLevel.Information, "Mirror {Mirror}: {Action} from its remote")]
    public static partial void MirrorFetched(ILogger logger, string mirror, string action);

    [LoggerMessage(5341, LogLevel.Information, "Pruned mirror {Mirror}")]
    public static partial void MirrorPruned(ILogger logger, string mirror);
}
