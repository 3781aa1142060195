using System.ComponentModel;
using System.Diagnostics;
using Drover.Engines.Processes;
using Drover.Engines.Tests.Support;

namespace Drover.Engines.Tests.Processes;

/// <summary>What a run reports and logs when it ends on its own: exit codes, lines, environment, start failures.</summary>
public sealed class ProcessGroupRunnerOutputTests : ProcessTestBase
{
    [Fact]
    public async Task RunAsync_ExitCodeAndStdoutLines_AreReportedInOrder()
    {
        var lines = new List<string>();
        var request = Sh("echo one; echo two; echo oops >&2; echo three; exit 3") with
        {
            OnStdoutLine = (line, _) =>
            {
                lines.Add(line);
                return Task.CompletedTask;
            },
        };

        var result = await Runner.RunAsync(request, Ct);

        result.ExitCode.ShouldBe(3);
        result.Killed.ShouldBeNull();
        result.Signal.ShouldBeNull();
        lines.ShouldBe(["one", "two", "three"]);
        result.LastStderrLine.ShouldBe("oops");
        LogLines().ShouldBe(["one", "two", "oops", "three"], ignoreOrder: true);
        result.OutputTail.ShouldContain("three\n");
    }

    [Fact]
    public async Task RunAsync_StdoutOrder_SurvivesManyLinesAndInterleavedLogLines()
    {
        var lines = new List<string>();
        var request = Sh("seq 1 20000; seq 1 500 >&2") with
        {
            OnStdoutLine = (line, _) =>
            {
                lines.Add(line);
                return Task.CompletedTask;
            },
        };

        var result = await Runner.RunAsync(request, Ct);

        result.ExitCode.ShouldBe(0);
        lines.ShouldBe(Enumerable.Range(1, 20000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        LogLines().Length.ShouldBe(20500);
        result.LastStderrLine.ShouldBe("500");
    }

    [Fact]
    public async Task RunAsync_LastStderrLine_SkipsTrailingBlankLines()
    {
        var result = await Runner.RunAsync(Sh("echo first >&2; echo 'real reason' >&2; echo >&2; echo '   ' >&2; exit 1"), Ct);

        result.LastStderrLine.ShouldBe("real reason");
    }

    [Fact]
    public async Task RunAsync_CrLfEndingsAndUnterminatedLastLine_AreNormalised()
    {
        var lines = new List<string>();
        var request = Sh("printf 'dos\\r\\nunix\\nlast-without-newline'") with
        {
            OnStdoutLine = (line, _) =>
            {
                lines.Add(line);
                return Task.CompletedTask;
            },
        };

        await Runner.RunAsync(request, Ct);

        lines.ShouldBe(["dos", "unix", "last-without-newline"]);
    }

    [Fact]
    public async Task RunAsync_RunawayLine_IsCutIntoBoundedPieces()
    {
        var lines = new List<string>();
        var request = Sh("head -c 150000 /dev/zero | tr '\\0' a; echo; echo after") with
        {
            OnStdoutLine = (line, _) =>
            {
                lines.Add(line);
                return Task.CompletedTask;
            },
        };

        await Runner.RunAsync(request, Ct);

        lines.Count.ShouldBe(4);
        lines.Take(3).Sum(l => l.Length).ShouldBe(150000);
        lines.Max(l => l.Length).ShouldBe(64 * 1024);
        lines[^1].ShouldBe("after");
    }

    [Fact]
    public async Task RunAsync_LineCallbackThrows_LaterLinesStillArrive()
    {
        var lines = new List<string>();
        var request = Sh("echo bad; echo good; echo also-good") with
        {
            OnStdoutLine = (line, _) =>
            {
                lines.Add(line);
                return line == "bad" ? throw new InvalidOperationException("callback failed") : Task.CompletedTask;
            },
        };

        var result = await Runner.RunAsync(request, Ct);

        result.ExitCode.ShouldBe(0);
        lines.ShouldBe(["bad", "good", "also-good"]);
        LogLines().ShouldBe(["bad", "good", "also-good"]);
    }

    [Fact]
    public async Task RunAsync_LeaderDiesBySignal_ReportsSignalButNotAKill()
    {
        var result = await Runner.RunAsync(Sh("kill -9 $$"), Ct);

        result.ExitCode.ShouldBe(137);
        result.Signal.ShouldBe(9);
        result.Killed.ShouldBeNull();
    }

    [Fact]
    public async Task RunAsync_StdinIsClosed_SoReadersSeeEndOfFile()
    {
        var run = Runner.RunAsync(Sh("cat; echo stdin-closed"), Ct);

        (await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(10), Ct))).ShouldBe(run, "cat waited on stdin");
        (await run).ExitCode.ShouldBe(0);
        LogLines().ShouldBe(["stdin-closed"]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RunAsync_Command_LeadsItsOwnSessionAndGroup(bool guarded)
    {
        // Fields 5 and 6 of /proc/<pid>/stat are the process group and the session ("sh" has no spaces in it).
        var request = Sh("cut -d' ' -f5,6 /proc/$$/stat") with { GuardPid = guarded ? Environment.ProcessId : null };

        var result = await Runner.RunAsync(request, Ct);

        result.ExitCode.ShouldBe(0);
        LogLines().ShouldBe([$"{result.Pid} {result.Pid}"]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RunAsync_Argv_IsPassedVerbatimWithoutAShell(bool guarded)
    {
        string[] tricky = ["two words", "$HOME", "*", "'quoted'", "a;b", "-n", ""];
        var request = new ProcessRunRequest(["/usr/bin/printf", "[%s]\\n", .. tricky], Dir.Path, Log)
        {
            GuardPid = guarded ? Environment.ProcessId : null,
        };

        var result = await Runner.RunAsync(request, Ct);

        result.ExitCode.ShouldBe(0);
        LogLines().ShouldBe(tricky.Select(a => $"[{a}]"));
    }

    [Fact]
    public async Task RunAsync_Environment_SetsVariablesAndRemovesInheritedOnes()
    {
        var inherited = "DROVER_ENGINES_TEST_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        Environment.SetEnvironmentVariable(inherited, "from-parent");
        try
        {
            var request = Sh($"echo \"set=$ADDED\"; echo \"removed=${{{inherited}-unset}}\"; echo \"kept=${{PATH:+yes}}\"") with
            {
                Environment = new Dictionary<string, string?> { ["ADDED"] = "hello world", [inherited] = null },
            };
            var control = Sh($"echo \"inherited=${{{inherited}-unset}}\"");

            await Runner.RunAsync(request, Ct);
            await Runner.RunAsync(control, Ct);

            LogLines().ShouldBe(["set=hello world", "removed=unset", "kept=yes", "inherited=from-parent"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable(inherited, null);
        }
    }

    [Fact]
    public async Task RunAsync_WorkingDirectory_IsTheChildsCwd()
    {
        var sub = Dir.Dir("sub dir");
        var request = Sh("pwd") with { WorkingDirectory = sub };

        await Runner.RunAsync(request, Ct);

        LogLines().ShouldBe([sub]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RunAsync_CommandDoesNotExist_Exits127AndSaysWhy(bool guarded)
    {
        var request = new ProcessRunRequest(["drover-no-such-command-x"], Dir.Path, Log)
        {
            GuardPid = guarded ? Environment.ProcessId : null,
        };

        var result = await Runner.RunAsync(request, Ct);

        result.ExitCode.ShouldBe(127);
        result.Killed.ShouldBeNull();
        result.LastStderrLine.ShouldNotBeNull().ShouldContain("drover-no-such-command-x");
        await ShouldAllBeDeadAsync(result.Pid);
    }

    [Fact]
    public async Task RunAsync_WorkingDirectoryMissing_ThrowsWin32Exception()
    {
        var request = Sh("true") with { WorkingDirectory = Dir.Combine("missing") };

        await Should.ThrowAsync<Win32Exception>(() => Runner.RunAsync(request, Ct));
    }

    [Fact]
    public async Task RunAsync_EmptyArgv_IsRejected()
    {
        var request = new ProcessRunRequest([], Dir.Path, Log);

        await Should.ThrowAsync<ArgumentOutOfRangeException>(() => Runner.RunAsync(request, Ct));
    }

    [Fact]
    public async Task RunAsync_LeaderExits_StragglersInItsGroupAreKilled()
    {
        var pidFile = Dir.Combine("grandchild.pid");
        var clock = Stopwatch.StartNew();

        var result = await Runner.RunAsync(Sh(StubbornGrandchild + AwaitPidFile + "exit 0", pidFile), Ct);

        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(4), "the straggler held the output pipes open");
        result.ExitCode.ShouldBe(0);
        result.Killed.ShouldBeNull();
        await ShouldAllBeDeadAsync(result.Pid, await Pids.ReadPidFileAsync(pidFile));
    }

    [Fact]
    public async Task RunAsync_DescendantLeavesTheGroupHoldingThePipes_StopsWaitingForOutput()
    {
        var pidFile = Dir.Combine("escaped.pid");
        var escaped = 0;
        try
        {
            // setsid puts the sleep in a new session: the group kill cannot reach it, and it keeps stdout open.
            // It writes its pid only once it is in that session, so the group kill cannot catch it still inside.
            var run = Runner.RunAsync(
                Sh("setsid sh -c 'echo $$ > \"$1\"; exec sleep 1000' escaped \"$1\" & " + AwaitPidFile + "exit 0", pidFile), Ct);
            escaped = await Pids.ReadPidFileAsync(pidFile);

            (await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(20), Ct))).ShouldBe(run, "the runner waited for the pipes forever");
            var result = await run;

            result.ExitCode.ShouldBe(0);
            Pids.IsAlive(escaped).ShouldBeTrue("the escaped process must have held the pipes for this test to mean anything");
            Pids.ProcessGroup(escaped).ShouldBe(escaped);
        }
        finally
        {
            Pids.KillIfAlive(escaped);
        }
    }
}
