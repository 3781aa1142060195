using System.Diagnostics;
using Drover.Engines.Processes;
using Drover.Engines.Tests.Support;

namespace Drover.Engines.Tests.Processes;

/// <summary>Timeout, stall, abort and the guard: each must leave nothing of the group alive.</summary>
public sealed class ProcessGroupRunnerKillTests : ProcessTestBase
{
    [Fact]
    public async Task Timeout_KillsTheWholeGroup_IncludingAGrandchildThatIgnoresSigterm()
    {
        var pidFile = Dir.Combine("grandchild.pid");
        var request = Sh(StubbornGrandchild + "wait", pidFile) with
        {
            Timeout = TimeSpan.FromSeconds(1),
            KillGrace = TimeSpan.FromSeconds(1),
        };

        var result = await Runner.RunAsync(request, Ct);
        var grandchild = await Pids.ReadPidFileAsync(pidFile);

        result.Killed.ShouldBe(KillReason.Timeout);
        result.Signal.ShouldBe(15, "the leader should have died of the SIGTERM");
        await ShouldAllBeDeadAsync(result.Pid, grandchild);

        // The runner waited out the grace because the grandchild survived SIGTERM: SIGKILL is what ended it.
        result.Duration.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1.9));
        result.Duration.ShouldBeLessThan(TimeSpan.FromSeconds(8));
    }

    [Fact]
    public async Task Timeout_GroupThatObeysSigterm_DoesNotWaitOutTheGrace()
    {
        var request = Sh("sleep 1000 & wait") with
        {
            Timeout = TimeSpan.FromSeconds(1),
            KillGrace = TimeSpan.FromSeconds(20),
        };

        var result = await Runner.RunAsync(request, Ct);

        result.Killed.ShouldBe(KillReason.Timeout);
        result.Duration.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(0.95));
        result.Duration.ShouldBeLessThan(TimeSpan.FromSeconds(6));
        await ShouldAllBeDeadAsync(result.Pid);
    }

    [Fact]
    public async Task Timeout_FiresEvenWhileOutputKeepsFlowing()
    {
        var request = Sh("while :; do echo tick; sleep 0.1; done") with
        {
            Timeout = TimeSpan.FromSeconds(1),
            StallTimeout = TimeSpan.FromSeconds(30),
            KillGrace = TimeSpan.FromSeconds(1),
        };

        var result = await Runner.RunAsync(request, Ct);

        result.Killed.ShouldBe(KillReason.Timeout);
        LogLines().ShouldContain("tick");
    }

    [Fact]
    public async Task Stall_NoOutput_KillsTheGroupAsStalled()
    {
        var pidFile = Dir.Combine("grandchild.pid");
        var request = Sh(StubbornGrandchild + "wait", pidFile) with
        {
            StallTimeout = TimeSpan.FromSeconds(1),
            KillGrace = TimeSpan.FromMilliseconds(300),
        };

        var result = await Runner.RunAsync(request, Ct);

        result.Killed.ShouldBe(KillReason.Stalled);
        result.Duration.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(0.95));
        result.Duration.ShouldBeLessThan(TimeSpan.FromSeconds(8));
        await ShouldAllBeDeadAsync(result.Pid, await Pids.ReadPidFileAsync(pidFile));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Stall_SilentButExcused_IsNotKilled(bool excused)
    {
        // Silent for 2.5 s against a 1 s stall timeout: excused (waiting on a person), it runs to the end.
        var asked = 0;
        var request = Sh("sleep 2.5") with
        {
            StallTimeout = TimeSpan.FromSeconds(1),
            KillGrace = TimeSpan.FromMilliseconds(300),
            Excused = (_, _) =>
            {
                Interlocked.Increment(ref asked);
                return Task.FromResult(excused);
            },
        };

        var result = await Runner.RunAsync(request, Ct);

        result.Killed.ShouldBe(excused ? null : KillReason.Stalled);
        asked.ShouldBeGreaterThanOrEqualTo(excused ? 2 : 1);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" >&2")]
    public async Task Stall_OutputOnEitherStream_ResetsTheStallTimer(string redirect)
    {
        // 12 lines 0.25 s apart: the run lasts about twice the stall timeout but is never silent for that long.
        var request = Sh($"i=0; while [ $i -lt 12 ]; do echo tick $i{redirect}; sleep 0.25; i=$((i+1)); done") with
        {
            StallTimeout = TimeSpan.FromSeconds(1.5),
        };

        var result = await Runner.RunAsync(request, Ct);

        result.Killed.ShouldBeNull();
        result.ExitCode.ShouldBe(0);
        result.Duration.ShouldBeGreaterThan(TimeSpan.FromSeconds(1.5));
    }

    [Fact]
    public async Task Abort_StopsTheGroup_WithReasonAborted()
    {
        var pidFile = Dir.Combine("grandchild.pid");
        using var abort = new CancellationTokenSource();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var request = Sh(StubbornGrandchild + AwaitPidFile + "echo ready; wait", pidFile) with
        {
            KillGrace = TimeSpan.FromMilliseconds(500),
            OnStdoutLine = (line, _) =>
            {
                if (line == "ready")
                {
                    ready.TrySetResult();
                }

                return Task.CompletedTask;
            },
        };

        var run = Runner.RunAsync(request, abort.Token);
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await abort.CancelAsync();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        result.Killed.ShouldBe(KillReason.Aborted);
        await ShouldAllBeDeadAsync(result.Pid, await Pids.ReadPidFileAsync(pidFile));
    }

    [Fact]
    public async Task Abort_AlreadyCancelled_StopsAtOnceAndStillReturnsAResult()
    {
        using var abort = new CancellationTokenSource();
        await abort.CancelAsync();

        var result = await Runner.RunAsync(Sh("exec sleep 1000") with { KillGrace = TimeSpan.FromSeconds(1) }, abort.Token)
            .WaitAsync(TimeSpan.FromSeconds(10), Ct);

        result.Killed.ShouldBe(KillReason.Aborted);
        await ShouldAllBeDeadAsync(result.Pid);
    }

    [Fact]
    public async Task Guard_GuardedProcessDies_TheWholeGroupDiesWithinSeconds()
    {
        var pidFile = Dir.Combine("grandchild.pid");
        using var guarded = Process.Start(new ProcessStartInfo("sleep", "1000") { UseShellExecute = false })!;
        try
        {
            var request = Sh(StubbornGrandchild + AwaitPidFile + "echo ready; wait", pidFile) with { GuardPid = guarded.Id };
            var run = Runner.RunAsync(request, Ct);
            var grandchild = await Pids.ReadPidFileAsync(pidFile);
            (await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(1.5), Ct))).ShouldNotBe(run, "the group died while its guard lived");

            var clock = Stopwatch.StartNew();
            guarded.Kill();
            var result = await run.WaitAsync(TimeSpan.FromSeconds(10), Ct);

            clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
            result.Killed.ShouldBeNull("the runner itself did not stop this group: the guard did");
            result.Signal.ShouldBe(9);
            await ShouldAllBeDeadAsync(result.Pid, grandchild);
        }
        finally
        {
            Pids.KillIfAlive(guarded.Id);
        }
    }

    [Fact]
    public async Task Timeout_KillsDescendantsThatMovedToAnotherGroupInTheSession()
    {
        // GNU timeout puts itself (and so its command) in a new process group; it stays in the job's session.
        var pidFile = Dir.Combine("inner.pid");
        var inner = 0;
        try
        {
            var request = Sh("timeout 1000 sh -c 'echo $$ > \"$1\"; exec sleep 1000' inner \"$1\" >/dev/null 2>&1 & wait", pidFile) with
            {
                Timeout = TimeSpan.FromSeconds(1),
                KillGrace = TimeSpan.FromMilliseconds(500),
            };

            var result = await Runner.RunAsync(request, Ct);
            inner = await Pids.ReadPidFileAsync(pidFile);

            result.Killed.ShouldBe(KillReason.Timeout);
            Pids.ProcessGroup(inner).ShouldNotBe(result.Pid, "the premise: it left the job's group");
            await ShouldAllBeDeadAsync(result.Pid, inner);
        }
        finally
        {
            Pids.KillIfAlive(inner);
        }
    }

    [Fact]
    public async Task GuardScript_GuardedProcessDies_KillsTheSessionIncludingOtherGroups()
    {
        // The guard alone, as a SIGKILLed worker leaves it: nobody but the guard is there to clean up.
        var pidFile = Dir.Combine("inner.pid");
        var inner = 0;
        using var guarded = Process.Start(new ProcessStartInfo("sleep", "1000") { UseShellExecute = false })!;
        var psi = new ProcessStartInfo("/usr/bin/setsid") { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var arg in new[] { "--", "/bin/sh", "-c", ProcessGroupRunner.GuardScript, "drover-guard", guarded.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "/bin/sh", "-c", "timeout 1000 sh -c 'echo $$ > \"$1\"; exec sleep 1000' inner \"$1\" >/dev/null 2>&1 & wait", "job", pidFile })
            psi.ArgumentList.Add(arg);
        using var leader = Process.Start(psi)!;
        try
        {
            inner = await Pids.ReadPidFileAsync(pidFile);
            Pids.ProcessGroup(inner).ShouldNotBe(leader.Id, "the premise: it left the job's group");

            guarded.Kill();

            await ShouldAllBeDeadAsync(leader.Id, inner);
        }
        finally
        {
            Pids.KillIfAlive(guarded.Id);
            Pids.KillIfAlive(inner);
            Pids.KillIfAlive(leader.Id);
        }
    }

    [Fact]
    public void Guard_DefaultsToThisProcess()
    {
        new ProcessRunRequest(["true"], Dir.Path, Log).GuardPid.ShouldBe(Environment.ProcessId);
    }
}
