using System.Globalization;
using System.Text.Json;
using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Core.Storage;
using Drover.Engines.Attempts;

namespace Drover.Server.Supervision;

public sealed partial class WorkerHost
{
    private async Task RunAttemptAsync(RunningAttempt attempt)
    {
        var job = attempt.Job;
        Log.AttemptStarted(_logger, job.Id, job.Attempt, _options.Name);
        using var leaseCts = new CancellationTokenSource();
        var lease = LeaseLoopAsync(attempt, leaseCts.Token);
        var shipper = _options.ShipLogs ? new LogShipper(this, job) : null;
        var shipping = shipper?.RunAsync(leaseCts.Token) ?? Task.CompletedTask;
        AttemptReport report;
        AttemptBudget? budget = null;
        try
        {
            var spec = JobSpecJson.Deserialize(job.SpecJson);
            budget = AttemptBudget.For(_store, _options.Budgets, job, spec.Budget, _time);
            var sink = new Sink(this, attempt, budget);
            report = await _runner.RunAsync(new AttemptContext(job, spec, _options.Home.Root, _options.KillGrace, sink), attempt.Abort.Token);
        }
        catch (Exception ex)
        {
            // The worker boundary: whatever went wrong is recorded on the attempt, never lost.
            Log.AttemptCrashed(_logger, ex, job.Id, job.Attempt);
            report = new AttemptReport(AttemptOutcome.Failure(FailureClass.Infra, "worker error: " + ex.Message), new AttemptResult(), false);
        }
        finally
        {
            await leaseCts.CancelAsync();
            await WaitQuietlyAsync(lease);
            await WaitQuietlyAsync(shipping);
        }

        if (shipper is not null)
            await shipper.FlushAsync();
        if (budget is not null && !attempt.LeaseLost)
            await BookQuietlyAsync(budget, job, report.Result.Usage);

        try
        {
            if (!attempt.LeaseLost && !report.Aborted)
                report = await BlameHostAsync(report);
            var state = await FinishAsync(attempt, report);
            await _worktrees.AfterAttemptAsync(job.Id, state, CancellationToken.None);
        }
        finally
        {
            _running.TryRemove(job.Id, out _);
            attempt.Abort.Dispose();
            SignalSlotFreed();
        }
    }

    /// <summary>Records the attempt's end; returns the job's state after it (null when not known).</summary>
    private async Task<JobState?> FinishAsync(RunningAttempt attempt, AttemptReport report)
    {
        var job = attempt.Job;
        if (attempt.LeaseLost)
        {
            await RecordFencedAsync(job, "lease lost before completion");
            return await StateAfterFenceAsync(job.Id);
        }

        var outcome = report.Aborted && attempt.ReleaseOnAbort
            ? AttemptOutcome.Release($"worker {_options.Name} shut down")
            : report.Outcome;

        var attemptResult = report.Result.Branch is null ? report.Result : report.Result with { Deliver = DeliveryAsk(job) };
        var proposals = await ProposalsAsync(job, outcome, report.Proposals);
        for (var tries = 0; ; tries++)
        {
            try
            {
                var result = await _store.JobCompleteAsync(
                    new JobCompleteParams(job.Id, job.Epoch, _time.GetUtcNow(), outcome, attemptResult, Random.Shared.NextDouble()) { Proposals = proposals },
                    CancellationToken.None);
                if (!result.Applied)
                {
                    await RecordFencedAsync(job, "completion rejected: the lease had moved on");
                    return await StateAfterFenceAsync(job.Id);
                }

                Log.AttemptEnded(_logger, job.Id, job.Attempt, outcome.Kind.ToString(), outcome.Class);
                return result.State;
            }
            catch (Exception ex) when (tries < 20)
            {
                // The store may be briefly unavailable; the lease (not this loop) decides whether we may still write.
                Log.LoopError(_logger, ex, "complete");
                await Task.Delay(TimeSpan.FromMilliseconds(250), _time);
            }
        }
    }

    /// <summary>A fenced attempt's job (cancelled, or taken over): its state now, so an ended job's worktree can go.</summary>
    private async Task<JobState?> StateAfterFenceAsync(long jobId)
    {
        try
        {
            return (await _store.JobGetAsync(jobId, CancellationToken.None))?.State;
        }
        catch (Exception ex)
        {
            Log.LoopError(_logger, ex, "job state after fence");
            return null;
        }
    }

    private async Task RecordFencedAsync(JobRecord job, string reason)
    {
        Log.LeaseLost(_logger, job.Id, job.Epoch);
        try
        {
            var data = JsonSerializer.Serialize(new { epoch = job.Epoch, attempt = job.Attempt, reason });
            await _store.EventAppendAsync(new EventAppendParams("job.fenced", job.Id, _options.Name, data, _time.GetUtcNow()), CancellationToken.None);
        }
        catch (Exception ex)
        {
            Log.LoopError(_logger, ex, "fenced event");
        }
    }

    /// <summary>
    /// Renews the lease every lease_ttl/3 and checks once a second that the job is still ours, so a
    /// cancel or a takeover stops the agent promptly. Lost (or not renewed within the TTL) → abort.
    /// </summary>
    private async Task LeaseLoopAsync(RunningAttempt attempt, CancellationToken ct)
    {
        var job = attempt.Job;
        var renewEvery = _options.LeaseTtl / 3;
        var tick = renewEvery < TimeSpan.FromSeconds(1) ? renewEvery : TimeSpan.FromSeconds(1);
        var lastRenewed = _time.GetUtcNow();
        while (!ct.IsCancellationRequested)
        {
            await WaitQuietlyAsync(Task.Delay(tick, _time, ct));
            if (ct.IsCancellationRequested)
                return;
            var now = _time.GetUtcNow();
            // A store that does not answer (a partition, a stopped database) must not hold the agent past its lease:
            // each call waits at most until the lease we last proved would have expired (on the thread pool, since a
            // store may block its caller while it tries to connect).
            var untilExpiry = lastRenewed + _options.LeaseTtl - now;
            var bound = untilExpiry > TimeSpan.FromMilliseconds(100) ? untilExpiry : TimeSpan.FromMilliseconds(100);
            try
            {
                bool held;
                if (now - lastRenewed >= renewEvery)
                {
                    held = await Task.Run(() => _store.JobLeaseRenewAsync(new JobLeaseRenewParams(job.Id, job.Epoch, now, _options.LeaseTtl), ct), ct)
                        .WaitAsync(bound, _time, ct);
                    if (held)
                        lastRenewed = now;
                }
                else
                {
                    var current = await Task.Run(() => _store.JobGetAsync(job.Id, ct), ct).WaitAsync(bound, _time, ct);
                    held = current is { State: JobState.Running } && current.Epoch == job.Epoch;
                }

                if (!held)
                {
                    attempt.LeaseLost = true;
                    await attempt.Abort.CancelAsync();
                    return;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.LoopError(_logger, ex, "lease renewal");
                if (_time.GetUtcNow() - lastRenewed >= _options.LeaseTtl)
                {
                    // We can no longer prove we hold the lease: stop the agent rather than risk two runs.
                    attempt.LeaseLost = true;
                    await attempt.Abort.CancelAsync();
                    return;
                }
            }
        }
    }

    /// <summary>What the engine reported counts toward the job's and the day's budgets (a failure here loses no job state).</summary>
    private async Task BookQuietlyAsync(AttemptBudget budget, JobRecord job, UsageRecord? usage)
    {
        try
        {
            await budget.BookAsync(usage, CancellationToken.None);
        }
        catch (Exception ex)
        {
            Log.BudgetBookFailed(_logger, ex, job.Id, job.Attempt);
        }
    }

    private sealed class Sink(WorkerHost host, RunningAttempt attempt, AttemptBudget? budget) : IAttemptSink
    {
        public async Task<BudgetStop?> BudgetAsync(UsageRecord? reported, CancellationToken ct)
        {
            if (budget is null)
                return null;
            try
            {
                return await budget.CheckAsync(reported, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A store hiccup does not stop the engine: the next usage line checks again.
                Log.BudgetCheckFailed(host._logger, ex, attempt.Job.Id, attempt.Job.Attempt);
                return null;
            }
        }

        /// <summary>
        /// A tool call of this attempt waits for a person, or was decided within <paramref name="window"/> (SPEC §13):
        /// the decision counts as activity, so the agent gets a whole stall timeout after it to speak again.
        /// </summary>
        public async Task<bool> WaitingOnPersonAsync(TimeSpan window, CancellationToken ct)
        {
            var job = attempt.Job;
            var since = host._time.GetUtcNow() - window;
            return (await host._store.ApprovalListAsync(new ApprovalListParams(job.Id, All: true), ct))
                .Any(a => a.Attempt == job.Attempt && (a.Pending || a.DecidedAt >= since));
        }

        public async Task ProgressAsync(string text, CancellationToken ct)
        {
            var job = attempt.Job;
            var ok = await host._store.JobProgressAsync(new JobProgressParams(job.Id, job.Epoch, host._time.GetUtcNow(), text), ct);
            if (!ok && !attempt.LeaseLost)
            {
                attempt.LeaseLost = true;
                await attempt.Abort.CancelAsync();
            }
        }
    }

    /// <summary>
    /// Copies an attempt's log file into the store as it grows (every second, and once more when the attempt ends),
    /// in chunks by byte position, until the store holds <see cref="WorkerOptions.ShippedLogBytes"/> of it; then a
    /// line saying where the whole log is. A failed copy is retried on the next tick (a chunk is stored once).
    /// </summary>
    private sealed class LogShipper(WorkerHost host, JobRecord job)
    {
        private const int ChunkBytes = 64 * 1024;
        private readonly string _path = Path.Combine(
            host._options.Home.RunsDir, job.Id.ToString(CultureInfo.InvariantCulture), job.Attempt.ToString(CultureInfo.InvariantCulture), "log");

        private long _shipped;
        private bool _full;

        public async Task RunAsync(CancellationToken ct)
        {
            while (!ct.IsCancellationRequested)
            {
                await WaitQuietlyAsync(Task.Delay(TimeSpan.FromSeconds(1), host._time, ct));
                await ShipAsync(ct);
            }
        }

        public Task FlushAsync() => ShipAsync(CancellationToken.None);

        private async Task ShipAsync(CancellationToken ct)
        {
            try
            {
                while (!_full && File.Exists(_path))
                {
                    byte[] chunk;
                    await using (var fs = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
                    {
                        if (fs.Length <= _shipped)
                            return;
                        fs.Seek(_shipped, SeekOrigin.Begin);
                        chunk = new byte[Math.Min(fs.Length - _shipped, ChunkBytes)];
                        await fs.ReadExactlyAsync(chunk, ct);
                    }

                    var limit = host._options.ShippedLogBytes;
                    if (!await host._store.LogAppendAsync(new LogAppendParams(job.Id, job.Attempt, _shipped, chunk, limit), ct))
                    {
                        _full = true;
                        var note = System.Text.Encoding.UTF8.GetBytes(
                            $"\n[drover] the store keeps the first {limit} bytes of this log; the whole log is on {host._options.Name} at {_path}\n");
                        await host._store.LogAppendAsync(new LogAppendParams(job.Id, job.Attempt, limit, note, limit + note.Length), ct);
                        return;
                    }

                    _shipped += chunk.Length;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Log.LoopError(host._logger, ex, "log shipping");
            }
        }
    }
}
