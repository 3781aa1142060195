using Drover.Core.Jobs;
using Drover.Core.Storage;
using Prometheus;

namespace Drover.Server.Api;

/// <summary>Prometheus gauges refreshed from the store at scrape time, so every process reports the same fleet.</summary>
public static class FleetMetrics
{
    // First, before any metric exists: the runtime's event counters and meters would be listened to all the time
    // (background work every second, idle or not); process metrics, read at scrape time, stay.
    private static readonly bool DefaultsTrimmed = TrimDefaultMetrics();

    private static readonly Gauge Jobs = Metrics.CreateGauge("drover_jobs", "Jobs by state.", "state");
    private static readonly Gauge Workers = Metrics.CreateGauge("drover_workers", "Workers by state.", "state");
    private static readonly Gauge Paused = Metrics.CreateGauge("drover_fleet_paused", "1 when the fleet is paused.");

    private static readonly string[] WorkerStates = ["idle", "busy", "draining", "lost", "stopped"];

    private static bool TrimDefaultMetrics()
    {
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressEventCounters = true, SuppressMeters = true });
        return true;
    }

    public static void Register(IJobStore store)
    {
        _ = DefaultsTrimmed;
        Metrics.DefaultRegistry.AddBeforeCollectCallback(async ct =>
        {
            var counts = await store.JobCountsAsync(ct);
            foreach (var state in Enum.GetValues<JobState>())
                Jobs.WithLabels(state.ToWire()).Set(counts.TryGetValue(state, out var n) ? n : 0);
            var workers = await store.WorkerListAsync(ct);
            foreach (var s in WorkerStates)
                Workers.WithLabels(s).Set(workers.Count(w => w.State == s));
            Paused.Set((await store.FleetGetAsync(ct)).Paused ? 1 : 0);
        });
    }

}
