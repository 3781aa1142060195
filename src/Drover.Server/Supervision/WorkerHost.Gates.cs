using System.Globalization;
using System.Text.Json;
using Drover.Core.Jobs;
using Drover.Core.Storage;
using Drover.Engines.Attempts;

namespace Drover.Server.Supervision;

/// <summary>
/// The worker's own claim gates (SPEC §5): too little memory or disk, or a host that cannot write its run files.
/// The last is the host's failure, not the job's: the attempt is released without counting, the worker claims nothing,
/// says why on its row (status, why, healthz) and in a <c>worker.degraded</c> event (an alert), and probes again
/// every heartbeat until writing works.
/// </summary>
public sealed partial class WorkerHost
{
    // What the worker row says now; null while claiming.
    private volatile string? _gate;

    // Set when the run files cannot be written; cleared by the first probe that can.
    private string? _cannotWrite;
    private DateTimeOffset _probedAt;

    private static readonly TimeSpan ResourceRecheck = TimeSpan.FromSeconds(1);
    private string? _resourceGate;
    private DateTimeOffset? _resourcesCheckedAt;

    /// <summary>Why this worker must not claim now, or null; a change is on the worker row at once.</summary>
    private async Task<string?> CheckGatesAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        if (Volatile.Read(ref _cannotWrite) is { } failing && now - _probedAt >= _options.Heartbeat)
        {
            _probedAt = now;
            if (ProbeRuns() is { } error)
            {
                Volatile.Write(ref _cannotWrite, CannotWrite(error));
            }
            else if (Interlocked.CompareExchange(ref _cannotWrite, null, failing) == failing)
            {
                Log.WorkerRecovered(_logger, _options.Name);
                await AppendWorkerEventAsync("worker.recovered", new { host = Environment.MachineName, was = failing }, ct);
            }
        }

        if (_resourcesCheckedAt is null || now - _resourcesCheckedAt >= ResourceRecheck)
        {
            // Memory and disk move slowly; a busy claim loop reads them at most once a second.
            _resourcesCheckedAt = now;
            _resourceGate = _options.Resources.Gate(_options.MinFreeMemoryBytes, _options.MinFreeDiskBytes, _options.Home.Root);
        }

        var reason = Volatile.Read(ref _cannotWrite) ?? _options.SandboxGate ?? _resourceGate;
        if (reason != _gate)
        {
            _gate = reason;
            if (reason is null)
                Log.WorkerUngated(_logger, _options.Name);
            else
                Log.WorkerGated(_logger, _options.Name, reason);
            await PublishStateAsync(ct);
        }

        return reason;
    }

    /// <summary>
    /// An attempt that failed <c>infra</c> on a host that cannot write its run files is the host's failure: the job goes
    /// back to the queue with its retry budget intact and this worker stops claiming.
    /// </summary>
    private async Task<AttemptReport> BlameHostAsync(AttemptReport report)
    {
        if (report.Outcome is not { Kind: AttemptOutcomeKind.Failed, Class: FailureClass.Infra } || ProbeRuns() is not { } error)
            return report;
        var reason = CannotWrite(error);
        await DegradeAsync(reason, CancellationToken.None);
        return report with { Outcome = AttemptOutcome.HostFailure($"worker {_options.Name}: {reason} (requeued; not counted as a failure)") };
    }

    /// <summary>Marks the worker degraded (once until it recovers): no claims, an event that raises an alert.</summary>
    private async Task DegradeAsync(string reason, CancellationToken ct)
    {
        _probedAt = _time.GetUtcNow();
        if (Interlocked.Exchange(ref _cannotWrite, reason) is not null)
            return;
        Log.WorkerDegraded(_logger, _options.Name, reason);
        _gate = reason;
        await PublishStateAsync(ct);
        await AppendWorkerEventAsync("worker.degraded", new { host = Environment.MachineName, reason }, ct);
    }

    /// <summary>Creates and deletes a file under runs/; the error when that fails, else null.</summary>
    private string? ProbeRuns()
    {
        var runs = _options.Home.RunsDir;
        try
        {
            Directory.CreateDirectory(runs);
            var probe = Path.Combine(runs, $".probe-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Environment.CurrentManagedThreadId.ToString(CultureInfo.InvariantCulture)}");
            File.WriteAllText(probe, "drover write probe\n");
            File.Delete(probe);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }

    private string CannotWrite(string error) => $"cannot write {_options.Home.RunsDir}: {error}";

    private string HeartbeatState() => _draining ? "draining" : _running.IsEmpty ? "idle" : "busy";

    private async Task PublishStateAsync(CancellationToken ct)
    {
        try
        {
            await _store.WorkerHeartbeatAsync(new WorkerHeartbeatParams(_options.Name, _time.GetUtcNow(), HeartbeatState(), _running.Keys.ToList(), _gate), ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.LoopError(_logger, ex, "heartbeat");
        }
    }

    private async Task AppendWorkerEventAsync(string type, object data, CancellationToken ct)
    {
        try
        {
            await _store.EventAppendAsync(new EventAppendParams(type, null, _options.Name, JsonSerializer.Serialize(data), _time.GetUtcNow()), ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.LoopError(_logger, ex, type + " event");
        }
    }
}
