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
    }
}
