using Drover.Core;
using Drover.Core.Storage;
using Drover.Server.Jobs;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Schedules;

/// <summary>
/// Submits the jobs of due schedules (SPEC §12). Every serve of a fleet runs one; the store's compare-and-set on the
/// tick makes each tick one job. Sleeps until the next tick, at most <see cref="MaxSleep"/> (schedules added by
/// another process are seen within that).
/// </summary>
public sealed class ScheduleLoop(IJobStore store, JobService jobs, TimeProvider time, ILogger logger)
{
    public static readonly TimeSpan MaxSleep = TimeSpan.FromSeconds(30);

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var sleep = MaxSleep;
            try
            {
                sleep = await PassAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Log.ScheduleLoopFailed(logger, e);
            }

            await Task.Delay(sleep, time, ct);
        }
    }

    /// <summary>Fires every due schedule once; returns how long to sleep until the next one is due.</summary>
    public async Task<TimeSpan> PassAsync(CancellationToken ct)
    {
        var sleep = MaxSleep;
        foreach (var schedule in await store.ScheduleListAsync(ct))
        {
            var now = time.GetUtcNow();
            if (schedule.NextAt > now)
            {
                sleep = TimeSpan.FromTicks(Math.Min(sleep.Ticks, (schedule.NextAt - now).Ticks));
                continue;
            }

            try
            {
                var result = await jobs.FireDueAsync(schedule, now, ct);
                switch (result.Outcome)
                {
                    case ScheduleFireOutcome.Fired:
                        Log.ScheduleFired(logger, schedule.Name, schedule.NextAt, result.Job!.Id);
                        break;
                    case ScheduleFireOutcome.SkippedOverlap:
                        Log.ScheduleSkipped(logger, schedule.Name, schedule.NextAt, "the previous job is unfinished");
                        break;
                    case ScheduleFireOutcome.SkippedMissed:
                        Log.ScheduleSkipped(logger, schedule.Name, schedule.NextAt, "missed while no serve ran; catch_up = skip");
                        break;
                }

                // Fired, skipped or taken by another serve: the stored next tick moved; look again soon.
                sleep = TimeSpan.Zero;
            }
            catch (DroverException e)
            {
                // A repo missing on this host, say: the tick stays due, for this serve's next pass or another host.
                Log.ScheduleFailed(logger, schedule.Name, schedule.NextAt, e.Message);
            }
        }

        return sleep < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10) : sleep;
    }
}
