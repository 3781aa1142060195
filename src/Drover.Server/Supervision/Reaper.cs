using Drover.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Supervision;

/// <summary>
/// Requeues expired leases and releases the jobs of silent workers (SPEC §6). Runs in every
/// serve/worker process; the store makes concurrent runs safe (each rescue is one conditional update).
/// </summary>
public sealed class Reaper(IJobStore store, WorkerOptions options, TimeProvider time, ILogger logger)
{
    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.ReaperInterval, time, stopping);
                await SweepAsync(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.LoopError(logger, ex, "reaper");
            }
        }
    }

    public async Task SweepAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var lost = await store.WorkerRescueLostAsync(new WorkerRescueParams(now, options.HeartbeatTimeout, Random.Shared.NextDouble()), ct);
        foreach (var w in lost)
            Log.WorkerLost(logger, w);
        var rescued = await store.JobRescueExpiredAsync(new JobRescueParams(now, Random.Shared.NextDouble()), ct);
        if (rescued.Count > 0)
            Log.Rescued(logger, rescued.Count);
        var undecided = await store.JobHeldExpireAsync(new JobHeldExpireParams(now), ct);
        if (undecided.Count > 0)
            Log.HeldExpired(logger, undecided.Count);
        await FailStrandedAsync(now, ct);
    }

    /// <summary>
    /// Fails jobs whose engine no live worker offers once they have waited <see cref="WorkerOptions.NoEngineAfter"/>.
    /// With no live worker at all nothing is failed: the fleet is down, not missing an engine.
    /// </summary>
    private async Task FailStrandedAsync(DateTimeOffset now, CancellationToken ct)
    {
        if (options.NoEngineAfter <= TimeSpan.Zero)
            return;
        var live = (await store.WorkerListAsync(ct)).Where(w => w.State is not ("lost" or "stopped")).ToList();
        if (live.Count == 0)
            return;
        var engines = live
            .SelectMany(w => w.Capabilities.Concat(WorkerOptions.BuiltInCapabilities()))
            .Where(c => c.StartsWith("engine:", StringComparison.Ordinal) && !c.Contains('=', StringComparison.Ordinal))
            .Select(c => c["engine:".Length..])
            .ToHashSet(StringComparer.Ordinal);
        var failed = await store.JobFailWithoutEngineAsync(new JobNoEngineParams(engines, now, options.NoEngineAfter), ct);
        if (failed.Count > 0)
            Log.NoEngine(logger, failed.Count, options.NoEngineAfter);
    }
}
