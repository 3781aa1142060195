using System.Collections.Concurrent;
using Drover.Core.Jobs;
using Drover.Core.Storage;
using Drover.Engines.Attempts;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Supervision;

/// <summary>
/// A worker process's slots (SPEC §6): claims jobs, runs each attempt under a renewed lease,
/// completes it with the epoch it was claimed at, heartbeats its own row, and drains on shutdown.
/// </summary>
public sealed partial class WorkerHost : IDisposable
{
    private readonly IJobStore _store;
    private readonly IAttemptRunner _runner;
    private readonly WorkerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<long, RunningAttempt> _running = new();
    // Completed (and replaced) whenever a slot frees. A fresh task per wake-up rather than a semaphore: a
    // semaphore wait abandoned by Task.WhenAny would still swallow a later release and starve the loop.
    private TaskCompletionSource _slotFreed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IReadOnlyList<string> _capabilities;
    private readonly Worktrees _worktrees;

    public WorkerHost(IJobStore store, IAttemptRunner runner, WorkerOptions options, TimeProvider time, ILogger logger)
    {
        options.Validate();
        _store = store;
        _runner = runner;
        _options = options;
        _time = time;
        _logger = logger;
        _worktrees = new Worktrees(store, options.Home, options.KeepWorkspaces, logger);
        _capabilities = WorkerOptions.BuiltInCapabilities().Concat(options.Capabilities).Distinct(StringComparer.Ordinal).ToList();
    }

    public string Name => _options.Name;

    public void Dispose() => _slotFreed.TrySetCanceled();

    private Task SlotFreedTask => Volatile.Read(ref _slotFreed).Task;

    private void SignalSlotFreed() =>
        Interlocked.Exchange(ref _slotFreed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    public IReadOnlyCollection<long> RunningJobs => _running.Keys.ToList();

    /// <summary>Runs until <paramref name="stopping"/> fires, then drains (SPEC §6 graceful shutdown).</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        if (!_registered)
            await RegisterAsync(CancellationToken.None);
        Log.WorkerStarted(_logger, _options.Name, _options.Slots);
        if (ProbeRuns() is { } unwritable)
            await DegradeAsync(CannotWrite(unwritable), CancellationToken.None);
        using var heartbeatCts = new CancellationTokenSource();
        var heartbeat = HeartbeatLoopAsync(heartbeatCts.Token);
        var deliveries = DeliveryLoopAsync(stopping);
        try
        {
            await SweepWorktreesAsync(stopping);
            await ClaimLoopAsync(stopping);
        }
        finally
        {
            await WaitQuietlyAsync(deliveries);
            await DrainAsync();
            await heartbeatCts.CancelAsync();
            await heartbeat;
            await _store.WorkerStopAsync(new WorkerStopParams(_options.Name, _time.GetUtcNow()), CancellationToken.None);
            Log.WorkerStopped(_logger, _options.Name);
        }
    }

    private bool _registered;

    /// <summary>
    /// Registers this worker's row (done by <see cref="RunAsync"/> if not before). A row of the same name left by a
    /// process of this host that is gone (killed, crashed) is marked lost at its last heartbeat at once; a row of a live
    /// process fails with a conflict naming it.
    /// </summary>
    public async Task RegisterAsync(CancellationToken ct)
    {
        var previous = (await _store.WorkerListAsync(ct)).FirstOrDefault(w => w.Name == _options.Name);
        int? deadPid = previous is { State: not ("lost" or "stopped") } && previous.Host == Environment.MachineName
            && (previous.Pid == Environment.ProcessId || !ProcessAlive(previous.Pid))
            ? previous.Pid
            : null;
        await _store.WorkerRegisterAsync(
            new WorkerRegisterParams(
                _options.Name,
                Environment.MachineName,
                Environment.ProcessId,
                _options.Slots,
                _capabilities,
                _time.GetUtcNow(),
                _options.HeartbeatTimeout,
                deadPid,
                Random.Shared.NextDouble()),
            ct);
        _registered = true;
    }

    /// <summary>Whether a process of this host runs under <paramref name="pid"/> (a zombie, killed but not yet reaped, does not).</summary>
    private static bool ProcessAlive(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid.ToString(System.Globalization.CultureInfo.InvariantCulture)}/stat");
                return stat[(stat.LastIndexOf(')') + 2)..] is not ['Z' or 'X', ..];
            }
            catch (IOException)
            {
                return false;
            }
            catch (UnauthorizedAccessException)
            {
                return true; // cannot tell: the heartbeat timeout decides
            }
        }

        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private static readonly TimeSpan ActiveBackstop = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest an idle worker sleeps between claims with no change seen: how late a job whose backoff ended can start.</summary>
    internal static readonly TimeSpan IdleBackstop = TimeSpan.FromSeconds(4);

    private async Task ClaimLoopAsync(CancellationToken stopping)
    {
        var backstop = ActiveBackstop;
        while (!stopping.IsCancellationRequested)
        {
            // Taken before counting, so a slot freed between the count and the wait still wakes the wait.
            var slotFreed = SlotFreedTask;
            var free = _options.Slots - _running.Count;
            if (free <= 0)
            {
                await WaitQuietlyAsync(slotFreed.WaitAsync(stopping));
                continue;
            }

            if (await CheckGatesAsync(stopping) is not null)
            {
                var recheck = _options.Heartbeat < TimeSpan.FromSeconds(1) ? _options.Heartbeat : TimeSpan.FromSeconds(1);
                await WaitQuietlyAsync(Task.Delay(recheck, _time, stopping));
                continue;
            }

            // With per-engine limits, claim one job at a time so a batch cannot overshoot a limit.
            var max = _options.EngineLimits.Count > 0 ? 1 : free;
            IReadOnlyList<JobRecord> claimed;
            try
            {
                claimed = await _store.JobClaimAsync(
                    new JobClaimParams(_options.Name, _time.GetUtcNow(), _options.LeaseTtl, max, _capabilities, EnginesAtLimit()),
                    stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.LoopError(_logger, ex, "claim");
                await WaitQuietlyAsync(Task.Delay(TimeSpan.FromMilliseconds(200), _time, stopping));
                continue;
            }

            foreach (var job in claimed)
                Start(job);

            if (claimed.Count > 0)
                backstop = ActiveBackstop;
            if (claimed.Count < max)
            {
                // Idle slots: sleep until the store changes (in-process at once, another process within
                // milliseconds) or a slot frees. The timeout is a backstop, and what starts a job whose retry
                // backoff ran out (no write marks that moment): 0.5 s after activity, doubling while wake-ups find
                // nothing up to IdleBackstop, so an idle worker claims a few times a minute, not twice a second.
                var started = _time.GetTimestamp();
                var change = _store.WaitForChangeAsync(backstop, stopping);
                await WaitQuietlyAsync(Task.WhenAny(change, slotFreed.WaitAsync(stopping)));
                var timedOut = _time.GetElapsedTime(started) >= backstop;
                backstop = timedOut && claimed.Count == 0
                    ? TimeSpan.FromTicks(Math.Min(IdleBackstop.Ticks, backstop.Ticks * 2))
                    : ActiveBackstop;
            }
        }
    }

    /// <summary>Engines this host runs as many attempts of as <c>[engines.NAME] max_concurrency</c> allows; null when none.</summary>
    private HashSet<string>? EnginesAtLimit()
    {
        if (_options.EngineLimits.Count == 0)
            return null;
        HashSet<string>? full = null;
        foreach (var (engine, limit) in _options.EngineLimits)
        {
            if (_running.Values.Count(a => a.Job.Engine == engine) >= limit)
                (full ??= new HashSet<string>(StringComparer.Ordinal)).Add(engine);
        }

        return full;
    }

    private void Start(JobRecord job)
    {
        var attempt = new RunningAttempt(job);
        _running[job.Id] = attempt;
        attempt.Task = Task.Run(() => RunAttemptAsync(attempt));
    }

    private async Task HeartbeatLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await WaitQuietlyAsync(Task.Delay(_options.Heartbeat, _time, ct));
            if (ct.IsCancellationRequested)
                return;
            try
            {
                var ok = await _store.WorkerHeartbeatAsync(
                    new WorkerHeartbeatParams(_options.Name, _time.GetUtcNow(), HeartbeatState(), _running.Keys.ToList(), _gate), ct);
                if (!ok && !_draining)
                {
                    // The fleet gave up on us (we were paused or partitioned); our jobs were released and our
                    // leases are fenced, so the attempts stop on their next renewal. Come back as a fresh worker.
                    Log.WorkerMarkedLost(_logger, _options.Name);
                    await RegisterAsync(ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.LoopError(_logger, ex, "heartbeat");
            }
        }
    }

    private volatile bool _draining;

    /// <summary>On start (SPEC §6): worktrees of ended jobs the policy does not keep, and of deleted jobs, go.</summary>
    private async Task SweepWorktreesAsync(CancellationToken ct)
    {
        try
        {
            await _worktrees.SweepAsync(ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            Log.LoopError(_logger, ex, "worktree sweep");
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task DrainAsync()
    {
        _draining = true;
        var pending = _running.Values.ToList();
        if (pending.Count == 0)
            return;

        Log.WorkerDraining(_logger, _options.Name, _options.ShutdownGrace, pending.Count);
        var all = Task.WhenAll(pending.Select(p => p.Task!));
        await Task.WhenAny(all, Task.Delay(_options.ShutdownGrace, _time));
        foreach (var p in _running.Values)
        {
            p.ReleaseOnAbort = true;
            await p.Abort.CancelAsync();
        }

        await WaitQuietlyAsync(Task.WhenAll(_running.Values.Select(p => p.Task!)));
    }

    private static async Task WaitQuietlyAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
        }
    }

    private sealed class RunningAttempt(JobRecord job)
    {
        public JobRecord Job { get; } = job;
        public CancellationTokenSource Abort { get; } = new();
        public Task? Task { get; set; }
        public volatile bool LeaseLost;
        public volatile bool ReleaseOnAbort;
    }
}
