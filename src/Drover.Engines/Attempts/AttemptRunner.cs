using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Core.Storage;

namespace Drover.Engines.Attempts;

/// <summary>What the worker hands the runner for one attempt.</summary>
/// <param name="Job">The claimed job (its Epoch and Attempt are this attempt's).</param>
/// <param name="Spec">The job's spec (Spec.Base is the recorded base sha for git repos).</param>
/// <param name="Home">The Drover data dir: logs go to runs/&lt;job&gt;/&lt;attempt&gt;/, worktrees to work/&lt;job&gt;/.</param>
/// <param name="KillGrace">SIGTERM → SIGKILL grace for the agent's process group.</param>
public sealed record AttemptContext(
    JobRecord Job,
    JobSpec Spec,
    string Home,
    TimeSpan KillGrace,
    IAttemptSink Sink);

/// <summary>Callbacks from a running attempt to the worker (which holds the lease).</summary>
public interface IAttemptSink
{
    /// <summary>A DROVER_PROGRESS line or other progress signal (also resets the stall timer).</summary>
    Task ProgressAsync(string text, CancellationToken ct);

    /// <summary>
    /// Whether the job's budgets have room for what this attempt's engine reported so far (null: nothing yet, asked
    /// before the engine starts): null = go on, else why the attempt stops (class budget_exhausted).
    /// </summary>
    Task<BudgetStop?> BudgetAsync(UsageRecord? reported, CancellationToken ct) => Task.FromResult<BudgetStop?>(null);

    /// <summary>
    /// Whether the engine waited on a person (a pending tool approval, or one decided) at any time in the last
    /// <paramref name="window"/>: a silence that long is then not a stall.
    /// </summary>
    Task<bool> WaitingOnPersonAsync(TimeSpan window, CancellationToken ct) => Task.FromResult(false);
}

/// <summary>Why a budget stops an attempt.</summary>
/// <param name="ResumeAt">Set when a budget that renews (a day's, a label's daily one) is used up: the job is not at
/// fault and waits until then, no failure counted. Null for the job's own budget: the job fails.</param>
public sealed record BudgetStop(string Reason, DateTimeOffset? ResumeAt = null);

/// <summary>How an attempt ended, ready for <see cref="IJobStore.JobCompleteAsync"/>.</summary>
/// <param name="Aborted">True when the abort token stopped it (cancel, lease loss, shutdown); the caller picks the outcome.</param>
public sealed record AttemptReport(AttemptOutcome Outcome, AttemptResult Result, bool Aborted)
{
    /// <summary>The JSON objects of the attempt's DROVER_PROPOSE lines (secrets masked); they count only when it succeeded.</summary>
    public IReadOnlyList<string> Proposals { get; init; } = [];
}

/// <summary>Runs one attempt end to end (SPEC §7): workspace, engine, checkpoint, diff, scope, verify, classify.</summary>
public interface IAttemptRunner
{
    /// <param name="abort">Cancelled when the attempt must stop now (cancel, lease lost, shutdown grace over).
    /// The runner still kills the process group and checkpoints before returning.</param>
    Task<AttemptReport> RunAsync(AttemptContext context, CancellationToken abort);
}
