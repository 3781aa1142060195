namespace Drover.Engines.Processes;

/// <summary>Why Drover stopped a process group.</summary>
public enum KillReason
{
    /// <summary>The run exceeded its <see cref="ProcessRunRequest.Timeout"/> (class <c>timeout</c>).</summary>
    Timeout,

    /// <summary>No output and no progress for <see cref="ProcessRunRequest.StallTimeout"/> (class <c>stalled</c>).</summary>
    Stalled,

    /// <summary>The abort token fired: cancel, lease lost or shutdown.</summary>
    Aborted,
}

/// <summary>One command to run as the leader of a new session / process group.</summary>
/// <param name="Argv">Program and arguments; never passed through a shell by the runner.</param>
/// <param name="WorkingDirectory">The child's cwd.</param>
/// <param name="Log">Receives every stdout and stderr line.</param>
public sealed record ProcessRunRequest(IReadOnlyList<string> Argv, string WorkingDirectory, LineLog Log)
{
    /// <summary>Variables set on top of the inherited environment (a null value removes one).</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>False: the child gets <see cref="Environment"/> alone, nothing of this process's environment.</summary>
    public bool InheritEnvironment { get; init; } = true;

    public TimeSpan Timeout { get; init; } = System.Threading.Timeout.InfiniteTimeSpan;
    public TimeSpan StallTimeout { get; init; } = System.Threading.Timeout.InfiniteTimeSpan;

    /// <summary>SIGTERM → SIGKILL grace when Drover stops the group.</summary>
    public TimeSpan KillGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The process whose death kills the group (default: this one). A worker killed with SIGKILL cannot stop its
    /// agents, and an orphaned agent would go on writing to a workspace that another worker now owns.
    /// Null leaves the group unguarded.
    /// </summary>
    public int? GuardPid { get; init; } = System.Environment.ProcessId;

    /// <summary>
    /// Asked when the stall timeout passes, with the timeout: true means the process had a good reason to be silent
    /// within it (it waited on a person's decision), so the stall clock starts over instead of the group being killed.
    /// </summary>
    public Func<TimeSpan, CancellationToken, Task<bool>>? Excused { get; init; }

    /// <summary>Called for each stdout line in order, after the line is logged. An exception is logged and reading goes on.</summary>
    public Func<string, CancellationToken, Task>? OnStdoutLine { get; init; }
}

/// <summary>How a process group run ended.</summary>
/// <param name="Pid">The leader's pid, which is also its process group id.</param>
/// <param name="ExitCode">The leader's exit code; .NET reports death by signal N as 128+N.</param>
/// <param name="Killed">Set when Drover stopped the group, with the reason.</param>
/// <param name="LastStderrLine">The last non-blank stderr line, for crash reasons.</param>
/// <param name="OutputTail">The last lines of stdout+stderr (about 2 KiB), for verify failures.</param>
public sealed record ProcessRunResult(
    int Pid,
    int ExitCode,
    KillReason? Killed,
    TimeSpan Duration,
    string? LastStderrLine,
    string OutputTail)
{
    /// <summary>The signal that ended the leader, inferred from the 128+N convention (ambiguous with exit(129..192)).</summary>
    public int? Signal => ExitCode is > 128 and < 128 + 65 ? ExitCode - 128 : null;
}
