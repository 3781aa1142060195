using Drover.Core.Jobs;
using Drover.Core.Storage;
using Drover.Engines.Tests.Support;
using static Drover.Engines.Tests.Attempts.AttemptHarness;

namespace Drover.Engines.Tests.Attempts;

/// <summary>How the engine's own end becomes the attempt's outcome: success, crash, timeout, stall, abort.</summary>
public sealed class ShellAttemptRunnerOutcomeTests : IDisposable
{
    private readonly AttemptHarness _h = new();

    [Fact]
    public async Task Success_CommitsTheWorkAndReportsBranchHeadAndDiff()
    {
        var report = await _h.RunAsync(Shell("mkdir -p src && printf 'x\\ny\\n' > src/new.txt && echo done"));

        report.Outcome.ShouldBe(AttemptOutcome.Success());
        report.Aborted.ShouldBeFalse();
        var result = report.Result;
        result.ExitCode.ShouldBe(0);
        result.EngineRan.ShouldBeTrue();
        result.Branch.ShouldBe("drover/1");
        result.Head.ShouldBe(Git.Run(_h.Repo, "rev-parse", "refs/heads/drover/1"));
        result.Head.ShouldNotBe(_h.BaseSha);
        result.Diff.ShouldBe(new DiffStats(1, 2, 0));
        result.Summary.ShouldBe("done");
        result.Usage.ShouldBeNull();
        result.LogTail.ShouldBe("done\n");
        _h.OnJobBranch("src/new.txt").ShouldBe("x\ny");
        Git.Run(_h.Repo, "status", "--porcelain").ShouldBeEmpty("the user's checkout must not change");
    }

    [Fact]
    public async Task Success_WithNoChanges_HeadStaysAtTheBase()
    {
        var report = await _h.RunAsync(Shell("echo nothing to do"));

        report.Outcome.Kind.ShouldBe(AttemptOutcomeKind.Succeeded);
        report.Result.Head.ShouldBe(_h.BaseSha);
        report.Result.Diff.ShouldBe(new DiffStats(0, 0, 0));
    }

    [Fact]
    public async Task Success_ArgvCommand_RunsWithoutAShell()
    {
        var report = await _h.RunAsync("""{"command": ["/usr/bin/printf", "%s|%s", "a b", "$HOME"]}""");

        report.Outcome.Kind.ShouldBe(AttemptOutcomeKind.Succeeded);
        report.Result.Summary.ShouldBe("a b|$HOME");
    }

    [Fact]
    public async Task NonZeroExit_IsACrashWithTheLastStderrLine_AndTheWorkIsStillCheckpointed()
    {
        var report = await _h.RunAsync(Shell("echo partial > partial.txt; echo working; echo 'fatal: boom' >&2; exit 3"));

        report.Outcome.ShouldBe(AttemptOutcome.Failure(FailureClass.Crash, "exit code 3: fatal: boom"));
        report.Aborted.ShouldBeFalse();
        report.Result.ExitCode.ShouldBe(3);
        report.Result.EngineRan.ShouldBeTrue();
        report.Result.Diff.ShouldBe(new DiffStats(1, 1, 0));
        _h.OnJobBranch("partial.txt").ShouldBe("partial");
    }

    [Fact]
    public async Task Checkpoint_AgentSwitchedBranches_WorkStillEndsUpOnTheJobBranch()
    {
        var report = await _h.RunAsync(Shell("git checkout -q -b agent-branch && echo x > x.txt"));

        report.Outcome.Kind.ShouldBe(AttemptOutcomeKind.Succeeded);
        report.Result.Branch.ShouldBe("drover/1");
        Git.Run(_h.Repo, "rev-parse", "refs/heads/drover/1").ShouldBe(report.Result.Head, "the reported head is not on the reported branch");
        _h.OnJobBranch("x.txt").ShouldBe("x");
    }

    [Fact]
    public async Task DeathBySignal_IsACrashThatNamesTheSignal()
    {
        var report = await _h.RunAsync(Shell("kill -9 $$"));

        report.Outcome.Class.ShouldBe(FailureClass.Crash);
        report.Outcome.Reason.ShouldBe("exit code 137 (signal 9?)");
    }

    [Fact]
    public async Task CommandNotFound_IsACrash127()
    {
        var report = await _h.RunAsync("""{"command": ["drover-no-such-engine-binary"]}""");

        report.Outcome.Class.ShouldBe(FailureClass.Crash);
        report.Result.ExitCode.ShouldBe(127);
        report.Outcome.Reason.ShouldNotBeNull().ShouldContain("drover-no-such-engine-binary");
    }

    [Fact]
    public async Task Timeout_KillsTheEngine_ClassTimeout_KeepsUsageAndCheckpointsWhatItDid()
    {
        var report = await _h.RunAsync(Shell(
            "echo partial > partial.txt; echo 'DROVER_USAGE {\"output_tokens\":3,\"cost_usd\":0.1}'; sleep 30", "\"timeout\": \"1s\""));

        report.Outcome.ShouldBe(AttemptOutcome.Failure(FailureClass.Timeout, "timed out after 1s"));
        report.Result.Usage.ShouldBe(new UsageRecord(0, 0, 3, 0.1m, "reported", null), "a killed attempt's spend still counts");
        report.Aborted.ShouldBeFalse();
        report.Result.EngineRan.ShouldBeFalse();
        report.Result.ExitCode.ShouldBe(143);
        _h.OnJobBranch("partial.txt").ShouldBe("partial");
    }

    [Fact]
    public async Task Stall_NoOutputForTheStallTimeout_ClassStalled()
    {
        var report = await _h.RunAsync(Shell("echo started; sleep 30", "\"stall_timeout\": \"1s\""));

        report.Outcome.ShouldBe(AttemptOutcome.Failure(FailureClass.Stalled, "no output or progress for 1s"));
        report.Result.EngineRan.ShouldBeFalse();
    }

    [Fact]
    public async Task Abort_WhileTheEngineRuns_KillsItCheckpointsAndReportsAborted()
    {
        using var abort = new CancellationTokenSource();
        _h.Sink.OnProgress = async (text, _) =>
        {
            if (text == "ready")
            {
                await abort.CancelAsync();
            }
        };
        var spec = await _h.SpecAsync(Shell("echo saved > saved.txt; echo 'DROVER_PROGRESS ready'; sleep 30"));

        var report = await _h.RunAsync(spec, abort: abort.Token).WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);

        report.Aborted.ShouldBeTrue();
        report.Outcome.ShouldBe(AttemptOutcome.Failure(FailureClass.Cancelled, "attempt aborted while the engine ran"));
        report.Result.EngineRan.ShouldBeFalse();
        _h.OnJobBranch("saved.txt").ShouldBe("saved");
        _h.ResultJson().GetProperty("aborted").GetBoolean().ShouldBeTrue();
    }

    [Fact]
    public async Task Abort_BeforeTheEngineStarts_RunsNothing()
    {
        var marker = Path.Combine(_h.Plain, "ran");
        var spec = await _h.SpecAsync(Shell($"touch '{marker}'"));
        using var abort = new CancellationTokenSource();
        await abort.CancelAsync();

        var report = await _h.RunAsync(spec, abort: abort.Token);

        report.Aborted.ShouldBeTrue();
        report.Outcome.ShouldBe(AttemptOutcome.Failure(FailureClass.Cancelled, "attempt aborted before the engine started"));
        File.Exists(marker).ShouldBeFalse();
        File.Exists(Path.Combine(_h.RunDir(), "result.json")).ShouldBeTrue();
    }

    [Fact]
    public async Task Abort_AfterTheEngineExitedDuringTheScopeCheck_StillReportsAndWritesResultJson()
    {
        // The engine prints its pid as progress; the sink holds the stdout reader until the engine is gone
        // (reaped) and the runner has seen it exit, then aborts: the abort lands on the steps after the engine.
        using var abort = new CancellationTokenSource();
        _h.Sink.OnProgress = async (text, _) =>
        {
            var pid = int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
            (await Poll.UntilAsync(() => !Directory.Exists($"/proc/{pid}"), TimeSpan.FromSeconds(10))).ShouldBeTrue();
            await Task.Delay(TimeSpan.FromMilliseconds(200), TestContext.Current.CancellationToken);
            await abort.CancelAsync();
        };
        var spec = await _h.SpecAsync(Shell("echo x > src/x.txt; echo \"DROVER_PROGRESS $$\"", "\"allowed_paths\": [\"src/**\"]"));

        var report = await _h.RunAsync(spec, abort: abort.Token);

        report.Aborted.ShouldBeTrue();
        report.Outcome.Class.ShouldBe(FailureClass.Cancelled);
        File.Exists(Path.Combine(_h.RunDir(), "result.json")).ShouldBeTrue();
    }

    public void Dispose() => _h.Dispose();
}
