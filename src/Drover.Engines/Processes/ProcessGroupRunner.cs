using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Engines.Processes;

/// <summary>
/// Runs a command as the leader of a new session (so its pid is its process group id), streams its
/// output line by line, and stops the whole group on timeout, stall or abort: SIGTERM to -pgid,
/// <see cref="ProcessRunRequest.KillGrace"/>, then SIGKILL to -pgid. After the leader exits the
/// group is always SIGKILLed, so grandchildren that ignore SIGTERM never outlive the run.
/// </summary>
public sealed class ProcessGroupRunner
{
    private const string SetsidPath = "/usr/bin/setsid";

    // Runs inside the new session: a background watcher polls the guarded pid and, once it is gone, SIGKILLs
    // every process of the session (also those that moved to a group of their own), then its own group, itself
    // included. The shell then execs the command, which keeps the leader's pid ($$ in the subshell = session id).
    // The command's argv is passed as positional parameters, never interpolated into the script.
    internal const string GuardScript =
        "g=$1; shift; " +
        "( while kill -0 \"$g\" 2>/dev/null; do sleep 1; done; " +
        "s=$$; read -r me < /proc/self/stat; me=${me%% *}; " +
        "for f in /proc/[0-9]*/stat; do " +
        "read -r l < \"$f\" 2>/dev/null || continue; p=${l%% *}; r=${l##*) }; set -- $r; " +
        "if [ \"$4\" = \"$s\" ] && [ \"$p\" != \"$me\" ]; then kill -KILL \"$p\" 2>/dev/null; fi; " +
        "done; kill -KILL 0 ) </dev/null >/dev/null 2>&1 & " +
        "exec \"$@\"";

    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public ProcessGroupRunner(ILogger<ProcessGroupRunner>? logger = null, TimeProvider? time = null)
    {
        _logger = logger ?? NullLogger<ProcessGroupRunner>.Instance;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Runs <paramref name="request"/> to the end. Throws <see cref="Win32Exception"/> when it cannot start.</summary>
    /// <param name="abort">Stops the group (reason <see cref="KillReason.Aborted"/>); the call still returns a result.</param>
    public async Task<ProcessRunResult> RunAsync(ProcessRunRequest request, CancellationToken abort)
    {
        ArgumentOutOfRangeException.ThrowIfZero(request.Argv.Count);
        using var process = new Process { StartInfo = BuildStartInfo(request) };
        var started = _time.GetTimestamp();
        process.Start();
        var pid = process.Id;
        process.StandardInput.Close();
        Log.ProcessStarted(_logger, pid, request.Argv[0]);

        var output = new OutputWatch(_time, request.Log);
        using var readCts = new CancellationTokenSource();
        var stdout = LineReader.ReadLinesAsync(process.StandardOutput.BaseStream, async line =>
        {
            output.Stdout(line);
            if (request.OnStdoutLine is { } callback)
            {
                try
                {
                    await callback(line, readCts.Token);
                }
                catch (OperationCanceledException)
                {
                    // The run is over or the caller is aborting; the line is already in the log.
                }
                catch (Exception e)
                {
                    // Keep reading: a stalled reader would fill the pipe and freeze the child.
                    Log.LineCallbackFailed(_logger, e, pid);
                }
            }
        }, readCts.Token);
        var stderr = LineReader.ReadLinesAsync(process.StandardError.BaseStream, line =>
        {
            output.Stderr(line);
            return Task.CompletedTask;
        }, readCts.Token);

        var exited = process.WaitForExitAsync(CancellationToken.None);
        await ConfirmGroupLeaderAsync(pid, exited);
        var killed = await WatchAsync(request, started, output, exited, abort);
        if (killed is { } reason)
        {
            Log.ProcessKilling(_logger, pid, reason);
            await StopGroupAsync(pid, exited, request.KillGrace);
        }

        await exited;
        var duration = _time.GetElapsedTime(started);

        // The leader is gone; anything still in its group is a straggler: no grace for those.
        LibC.KillSession(pid, LibC.SigKill);
        await DrainAsync(pid, stdout, stderr, readCts);
        Log.ProcessExited(_logger, pid, process.ExitCode, duration.TotalSeconds);
        return new ProcessRunResult(pid, process.ExitCode, killed, duration, output.LastStderrLine, output.Tail());
    }

    private static ProcessStartInfo BuildStartInfo(ProcessRunRequest request)
    {
        // setsid execs in place when its caller is not a group leader (a freshly forked child never is),
        // so the pid we get is the new session's and group's id.
        var psi = new ProcessStartInfo(SetsidPath)
        {
            WorkingDirectory = request.WorkingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add("--");
        if (request.GuardPid is { } guard)
        {
            psi.ArgumentList.Add("/bin/sh");
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(GuardScript);
            psi.ArgumentList.Add("drover-guard");
            psi.ArgumentList.Add(guard.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        foreach (var arg in request.Argv)
        {
            psi.ArgumentList.Add(arg);
        }

        if (!request.InheritEnvironment)
            psi.Environment.Clear();
        foreach (var (name, value) in request.Environment)
        {
            if (value is null)
            {
                psi.Environment.Remove(name);
            }
            else
            {
                psi.Environment[name] = value;
            }
        }

        return psi;
    }

    /// <summary>Waits (briefly) until setsid has made the child its own group leader, so -pid addresses the group.</summary>
    private async Task ConfirmGroupLeaderAsync(int pid, Task exited)
    {
        for (var i = 0; i < 100 && !exited.IsCompleted; i++)
        {
            var pgid = LibC.GetPgid(pid);
            if (pgid == pid || pgid == -1)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(5), _time);
        }

        if (!exited.IsCompleted)
        {
            Log.NotGroupLeader(_logger, pid, LibC.GetPgid(pid));
        }
    }

    private async Task<KillReason?> WatchAsync(
        ProcessRunRequest request, long started, OutputWatch output, Task exited, CancellationToken abort)
    {
        while (!exited.IsCompleted)
        {
            if (abort.IsCancellationRequested)
            {
                return KillReason.Aborted;
            }

            var untilTimeout = Remaining(request.Timeout, _time.GetElapsedTime(started));
            if (untilTimeout <= TimeSpan.Zero)
            {
                return KillReason.Timeout;
            }

            var untilStall = Remaining(request.StallTimeout, output.Idle);
            if (untilStall <= TimeSpan.Zero && request.Excused is { } excused && await IsExcusedAsync(excused, request.StallTimeout, abort))
            {
                output.Touch();
                continue;
            }

            if (untilStall <= TimeSpan.Zero)
            {
                return KillReason.Stalled;
            }

            // Sleep to the nearer deadline; output in the meantime only moves the stall deadline later.
            var wait = untilTimeout < untilStall ? untilTimeout : untilStall;
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(abort);
            var delay = Task.Delay(wait + TimeSpan.FromMilliseconds(1), _time, wake.Token);
            await Task.WhenAny(exited, delay);
            await wake.CancelAsync();
        }

        return null;
    }

    /// <summary>A failing check (a store hiccup) excuses nothing: the stall rule stays as strict as without it.</summary>
    private static async Task<bool> IsExcusedAsync(Func<TimeSpan, CancellationToken, Task<bool>> excused, TimeSpan window, CancellationToken abort)
    {
        try
        {
            return await excused(window, abort);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return false;
        }
    }

    private static TimeSpan Remaining(TimeSpan limit, TimeSpan used) =>
        limit == Timeout.InfiniteTimeSpan ? TimeSpan.FromDays(1) : limit - used;

    private async Task StopGroupAsync(int pid, Task exited, TimeSpan grace)
    {
        Signal(pid, LibC.SigTerm, exited);
        var start = _time.GetTimestamp();
        while (_time.GetElapsedTime(start) < grace && (!exited.IsCompleted || LibC.SessionHasLiveMembers(pid)))
        {
            await Task.WhenAny(exited, Task.Delay(PollInterval, _time));
        }

        Signal(pid, LibC.SigKill, exited);
    }

    private static void Signal(int pid, int signal, Task exited)
    {
        // Before setsid has run the group does not exist yet: then signal the leader itself.
        if (LibC.Kill(-pid, signal) == LibC.Esrch && !exited.IsCompleted)
        {
            LibC.Kill(pid, signal);
        }

        // Descendants that left the group but not the session (GNU timeout, job-control shells).
        LibC.KillSession(pid, signal);
    }

    private async Task DrainAsync(int pid, Task stdout, Task stderr, CancellationTokenSource readCts)
    {
        // A process that left our group (its own setsid) may hold the pipes open: stop waiting, not the attempt.
        var both = Task.WhenAll(stdout, stderr);
        if (await Task.WhenAny(both, Task.Delay(DrainLimit, _time)) != both)
        {
            Log.OutputNotClosed(_logger, pid);
            await readCts.CancelAsync();
            return;
        }

        await both;
    }
}
