using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Core.Storage;
using Drover.Engines.Processes;
using Drover.Engines.Workspaces;

namespace Drover.Engines.Attempts;

/// <summary>After the engine: checkpoint, then judge a clean exit by scope, verify and review (SPEC §1.2: exit 0 is not success).</summary>
public sealed partial class ShellAttemptRunner
{
    /// <summary>Commits the attempt's changes and records head and diff; returns the error when git failed.</summary>
    private async Task<string?> CheckpointAsync(RunState run)
    {
        var workspace = run.Workspace!;
        if (!workspace.IsGit)
        {
            return null;
        }

        using var cleanup = new CancellationTokenSource(CleanupLimit);
        try
        {
            var job = run.Context.Job;
            await _workspaces.CheckpointAsync(workspace, $"drover: job {job.Id} attempt {job.Attempt}", cleanup.Token);
            run.Result = run.Result with
            {
                Head = await _workspaces.HeadAsync(workspace, cleanup.Token),
                Diff = await _workspaces.DiffStatsAsync(workspace, cleanup.Token),
            };
            return null;
        }
        catch (Exception e) when (e is WorkspaceException or OperationCanceledException)
        {
            run.Log.Note($"checkpoint failed: {e.Message}");
            return e.Message;
        }
    }

    private async Task<AttemptReport> JudgeAsync(RunState run, ProcessRunResult engine, CancellationToken abort)
    {
        var spec = run.Context.Spec;
        var (scopeFailure, warning) = await CheckScopeAsync(run, abort);
        if (scopeFailure is not null)
        {
            return scopeFailure;
        }

        if (spec.ExpectChanges && run.Workspace!.IsGit && run.Result.Diff is { Files: 0 })
        {
            // The agent ended "successfully" without touching the repo: for a job meant to change it, that is no success.
            run.Log.Note("error: no changes made, and the job expects changes (expect_changes)");
            return Fail(FailureClass.VerifyFailed, "no changes made (expect_changes: true)", run.Result);
        }

        if (!string.IsNullOrWhiteSpace(spec.Verify) && await VerifyAsync(run, spec.Verify, spec.Timeout - engine.Duration, abort) is { } verifyEnd)
        {
            return verifyEnd;
        }

        var outcome = spec.Review == ReviewMode.Human
            ? AttemptOutcome.AwaitApproval() with { Reason = warning }
            : AttemptOutcome.Success() with { Reason = warning };
        return new AttemptReport(outcome, run.Result, Aborted: false);
    }

    /// <summary>Returns a failure under <c>scope_policy: enforce</c>, or a warning under <c>warn</c>.</summary>
    private async Task<(AttemptReport? Failure, string? Warning)> CheckScopeAsync(RunState run, CancellationToken abort)
    {
        var (spec, workspace) = (run.Context.Spec, run.Workspace!);
        if (spec.AllowedPaths.Count == 0)
        {
            return (null, null);
        }

        if (!workspace.IsGit)
        {
            run.Log.Note("warning: allowed_paths not checked: the repo is not a git repo");
            return (null, null);
        }

        var changed = await _workspaces.ChangedFilesAsync(workspace, abort);
        var outside = ScopeCheck.OutOfScope(changed, spec.AllowedPaths, workspace.Prefix);
        if (outside.Count == 0)
        {
            return (null, null);
        }

        var text = $"changed files outside allowed_paths: {ScopeCheck.Describe(outside)}";
        if (spec.ScopePolicy == ScopePolicy.Enforce)
        {
            run.Log.Note($"error: {text}");
            return (Fail(FailureClass.ScopeViolation, text, run.Result), null);
        }

        run.Log.Note($"warning: {text}");
        return (null, $"warning: {text}");
    }

    /// <summary>Runs verify in the workspace under the same kill rules with the attempt's remaining time; null when it passed.</summary>
    private async Task<AttemptReport?> VerifyAsync(RunState run, string command, TimeSpan remaining, CancellationToken abort)
    {
        if (remaining <= TimeSpan.Zero)
        {
            return Fail(FailureClass.Timeout, "timed out before verify could run", run.Result);
        }

        run.Log.Note($"verify: {command}");
        var verify = await StartAsync(run, ["/bin/sh", "-c", command], remaining, onLine: null, abort);
        if (verify is null)
        {
            return Fail(FailureClass.Infra, "cannot start verify", run.Result);
        }

        run.Log.Note($"verify exited with code {verify.ExitCode}");
        return verify switch
        {
            { Killed: KillReason.Aborted } => new AttemptReport(Aborted("during verify"), run.Result, Aborted: true),
            { Killed: KillReason.Timeout } => Fail(FailureClass.Timeout, "timed out during verify", run.Result),
            { Killed: KillReason.Stalled } => Fail(FailureClass.Stalled, "verify stalled: no output", run.Result),
            { ExitCode: not 0 } => Fail(FailureClass.VerifyFailed, $"verify exited with code {verify.ExitCode}: {Tail(verify.OutputTail, 1024)}", run.Result),
            _ => null,
        };
    }

    private static string Tail(string text, int maxChars)
    {
        text = text.TrimEnd();
        return text.Length <= maxChars ? text : "…" + text[^maxChars..];
    }
}
