using Drover.Core.Jobs;
using Drover.Core.Storage;
using static Drover.Engines.Tests.Attempts.AttemptHarness;

namespace Drover.Engines.Tests.Attempts;

/// <summary>After a clean exit: scope, verify and review decide (exit 0 is not success on its own).</summary>
public sealed class ShellAttemptRunnerJudgeTests : IDisposable
{
    private const string TouchInAndOutOfScope = "mkdir -p src && echo ok > src/ok.txt && echo notes > notes.md";

    private readonly AttemptHarness _h = new();

    [Fact]
    public async Task Verify_Fails_ClassVerifyFailedWithItsOutput()
    {
        var report = await _h.RunAsync(Shell("echo work > w.txt", "\"verify\": \"echo checking w.txt; echo second >&2; exit 4\""));

        report.Outcome.Class.ShouldBe(FailureClass.VerifyFailed);
        report.Outcome.Reason.ShouldNotBeNull().ShouldStartWith("verify exited with code 4: ");
        report.Outcome.Reason.ShouldContain("checking w.txt");
        report.Result.ExitCode.ShouldBe(0, "the engine's exit code, not verify's");
        report.Result.Diff.ShouldBe(new DiffStats(1, 1, 0), "the work is checkpointed before verify runs");
        var log = _h.LogLines();
        log.ShouldContain("[drover] verify: echo checking w.txt; echo second >&2; exit 4");
        log.ShouldContain("checking w.txt");
        log.ShouldContain("[drover] verify exited with code 4");
    }

    [Fact]
    public async Task Persona_ComesBeforeThePromptInPromptMd()
    {
        var report = await _h.RunAsync(Shell("cat \"$DROVER_PROMPT_FILE\" > seen.txt", "\"persona\": \"You are a careful reviewer.\", \"prompt\": \"Review x.\""));

        report.Outcome.ShouldBe(AttemptOutcome.Success());
        _h.OnJobBranch("seen.txt").ShouldBe("You are a careful reviewer.\n\n---\n\nReview x.");
    }

    [Fact]
    public async Task ExpectChanges_NothingChanged_FailsBeforeVerifyRuns()
    {
        var marker = Path.Combine(_h.Plain, "verified");
        var report = await _h.RunAsync(Shell("echo looked around, changed nothing", $"\"expect_changes\": true, \"verify\": {Quote($"touch '{marker}'")}"));

        report.Outcome.Class.ShouldBe(FailureClass.VerifyFailed);
        report.Outcome.Reason.ShouldBe("no changes made (expect_changes: true)");
        report.Result.Diff.ShouldBe(new DiffStats(0, 0, 0));
        File.Exists(marker).ShouldBeFalse();
    }

    [Fact]
    public async Task ExpectChanges_SomethingChanged_Succeeds()
    {
        var report = await _h.RunAsync(Shell("echo work > w.txt", "\"expect_changes\": true"));

        report.Outcome.ShouldBe(AttemptOutcome.Success());
        report.Result.Diff.ShouldBe(new DiffStats(1, 1, 0));
    }

    [Fact]
    public async Task Verify_Passes_RunsInTheWorkspaceWithTheAttemptsEnvironment()
    {
        var report = await _h.RunAsync(Shell(
            "echo hello > out.txt",
            "\"verify\": \"grep -q hello out.txt && test \\\"$DROVER_JOB_ID\\\" = 1 && test \\\"$PWD\\\" = \\\"$DROVER_WORKSPACE\\\"\""));

        report.Outcome.ShouldBe(AttemptOutcome.Success());
    }

    [Fact]
    public async Task Verify_NotRunWhenTheEngineFailed()
    {
        var marker = Path.Combine(_h.Plain, "verified");
        var report = await _h.RunAsync(Shell("exit 1", $"\"verify\": {Quote($"touch '{marker}'")}"));

        report.Outcome.Class.ShouldBe(FailureClass.Crash);
        File.Exists(marker).ShouldBeFalse();
    }

    [Fact]
    public async Task Verify_UsesTheAttemptsRemainingTime()
    {
        var report = await _h.RunAsync(Shell("echo quick", "\"timeout\": \"1s\", \"verify\": \"sleep 30\""));

        report.Outcome.ShouldBe(AttemptOutcome.Failure(FailureClass.Timeout, "timed out during verify"));
    }

    [Fact]
    public async Task Scope_WarnPolicy_SucceedsWithAWarningNamingTheFiles()
    {
        var report = await _h.RunAsync(Shell(TouchInAndOutOfScope, "\"allowed_paths\": [\"src/**\"]"));

        report.Outcome.ShouldBe(AttemptOutcome.Success() with { Reason = "warning: changed files outside allowed_paths: notes.md" });
        _h.LogLines().ShouldContain("[drover] warning: changed files outside allowed_paths: notes.md");
    }

    [Fact]
    public async Task Scope_EnforcePolicy_FailsWithScopeViolation_AndSkipsVerify()
    {
        var marker = Path.Combine(_h.Plain, "verified");
        var report = await _h.RunAsync(Shell(TouchInAndOutOfScope,
            $"\"allowed_paths\": [\"src/**\"], \"scope_policy\": \"enforce\", \"verify\": {Quote($"touch '{marker}'")}"));

        report.Outcome.ShouldBe(AttemptOutcome.Failure(FailureClass.ScopeViolation, "changed files outside allowed_paths: notes.md"));
        report.Result.Diff.ShouldBe(new DiffStats(2, 2, 0));
        _h.OnJobBranch("notes.md").ShouldBe("notes", "the work is kept on the branch for a human to look at");
        File.Exists(marker).ShouldBeFalse();
    }

    [Fact]
    public async Task Scope_EnforcePolicy_AllChangesInScope_Succeeds()
    {
        var report = await _h.RunAsync(Shell("mkdir -p src docs && echo a > src/a.txt && echo b > docs/b.md",
            "\"allowed_paths\": [\"src/\", \"docs/*.md\"], \"scope_policy\": \"enforce\""));

        report.Outcome.ShouldBe(AttemptOutcome.Success());
    }

    [Fact]
    public async Task Scope_RepoIsASubdirectory_GlobsAreRelativeToItAndEverythingOutsideIsOutOfScope()
    {
        var report = await _h.RunAsync(Shell("echo in > inside.txt && echo out > ../outside.txt",
            $"\"repo\": {Quote(Path.Combine(_h.Repo, "src"))}, \"allowed_paths\": [\"**\"], \"scope_policy\": \"enforce\""));

        report.Outcome.ShouldBe(AttemptOutcome.Failure(FailureClass.ScopeViolation, "changed files outside allowed_paths: outside.txt"));
        _h.OnJobBranch("src/inside.txt").ShouldBe("in");
    }

    [Fact]
    public async Task Review_Human_WaitsForApproval_CarryingAnyScopeWarning()
    {
        var report = await _h.RunAsync(Shell(TouchInAndOutOfScope, "\"review\": \"human\", \"allowed_paths\": [\"src/**\"]"));

        report.Outcome.ShouldBe(AttemptOutcome.AwaitApproval() with { Reason = "warning: changed files outside allowed_paths: notes.md" });
        report.Outcome.Kind.ShouldBe(AttemptOutcomeKind.Blocked);
        report.Outcome.BlockedOn.ShouldBe("approval");
    }

    [Fact]
    public async Task Review_Human_FailedVerifyStillFails()
    {
        var report = await _h.RunAsync(Shell("true", "\"review\": \"human\", \"verify\": \"false\""));

        report.Outcome.Class.ShouldBe(FailureClass.VerifyFailed);
    }

    public void Dispose() => _h.Dispose();
}
