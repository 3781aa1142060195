using System.Globalization;
using System.Text.Json;
using Drover.Core.Configuration;
using Drover.Core.Jobs;
using Drover.Core.Storage;
using Drover.Server.Jobs;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Alerts;

/// <summary>
/// Reads the event log from the store's alert cursor (so events written while no server ran are not missed, and a
/// fresh store starts at its end), raises what <see cref="AlertRules"/> calls for, and every 15 s checks for a
/// stalled queue. Raising goes through the store, which keeps one alert per key within the cooldown for the whole
/// fleet; what is newly raised is handed to the <see cref="AlertDispatcher"/>.
/// </summary>
public sealed class AlertMonitor(IJobStore store, JobService jobs, AlertsConfig config, AlertDispatcher dispatcher, TimeProvider time, ILogger logger)
{
    private static readonly TimeSpan StallCheckEvery = TimeSpan.FromSeconds(15);

    /// <summary>Events older than this when read (a server down for a day) still move the rules' windows but raise nothing.</summary>
    private static readonly TimeSpan MaxAge = TimeSpan.FromHours(1);

    private readonly AlertRules _rules = new(config);
    private Dictionary<string, string> _hosts = new(StringComparer.Ordinal);

    public async Task RunAsync(CancellationToken ct)
    {
        var started = time.GetUtcNow();
        var lastStallCheck = started;
        long cursor = -1;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (cursor < 0)
                {
                    var c = await store.AlertCursorGetAsync(ct);
                    cursor = c.Cursor > 0 ? c.Cursor : c.LastEventId;
                    await store.AlertCursorSetAsync(cursor, ct);
                }

                var events = await store.EventListAsync(new EventListParams(cursor, 500), ct);
                if (events.Count > 0)
                {
                    await ApplyAsync(events, ct);
                    cursor = events[^1].Id;
                    await store.AlertCursorSetAsync(cursor, ct);
                }

                var now = time.GetUtcNow();
                if (now - lastStallCheck >= StallCheckEvery)
                {
                    lastStallCheck = now;
                    if (await StalledAsync(_rules.LastClaimAt ?? started, now, ct) is { } stalled)
                        await RaiseAsync(stalled, ct);
                }

                if (events.Count < 500)
                    await store.WaitForChangeAsync(TimeSpan.FromSeconds(2), ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                AlertLog.MonitorError(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(2), time, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task ApplyAsync(IReadOnlyList<EventRecord> events, CancellationToken ct)
    {
        if (events.Any(e => e.Type is "worker.lost" or "worker.started"))
            _hosts = (await store.WorkerListAsync(ct)).ToDictionary(w => w.Name, w => w.Host, StringComparer.Ordinal);
        var now = time.GetUtcNow();
        foreach (var e in events)
        {
            if (_rules.OnEvent(e, name => _hosts.GetValueOrDefault(name)) is { } candidate && now - e.At <= MaxAge)
                await RaiseAsync(candidate, ct);
        }
    }

    private async Task RaiseAsync(AlertCandidate c, CancellationToken ct)
    {
        var data = JsonSerializer.Serialize(c.Data, DroverJson.Options);
        var result = await store.AlertRaiseAsync(new AlertRaiseParams(c.Key, c.Kind, c.Subject, c.Message, data, config.Cooldown, time.GetUtcNow()), ct);
        if (!result.Raised)
            return;
        AlertLog.Raised(logger, result.Alert.Id, result.Alert.Message);
        dispatcher.Enqueue(result.Alert);
    }

    /// <summary>
    /// Queue stalled: not paused, nothing claimed since <see cref="AlertsConfig.StallAfter"/>, a live worker with a free
    /// slot, and a queued job that has been eligible that long and whose only reason to wait is a free slot.
    /// </summary>
    private async Task<AlertCandidate?> StalledAsync(DateTimeOffset lastClaim, DateTimeOffset now, CancellationToken ct)
    {
        if (now - lastClaim < config.StallAfter)
            return null;
        var status = await jobs.StatusAsync(ct);
        if (status.Paused || status.Counts.GetValueOrDefault("queued") == 0)
            return null;
        var idle = status.Workers
            .Where(w => w.State is not ("lost" or "stopped") && w.HeartbeatAgeS < FleetHealth.DefaultStaleAfter.TotalSeconds && w.Running.Count < w.Slots)
            .Select(w => w.Name)
            .ToList();
        if (idle.Count == 0)
            return null;
        var queued = await store.JobListAsync(new JobListParams(JobState.Queued, Limit: 50), ct);
        foreach (var job in queued.Jobs.OrderBy(j => j.Id))
        {
            if (now - job.NextEligibleAt < config.StallAfter || now - job.CreatedAt < config.StallAfter)
                continue;
            var why = await jobs.WhyAsync(job, ct);
            if (why is null || !why.StartsWith("ready", StringComparison.Ordinal))
                continue;
            var minutes = (now - lastClaim).TotalMinutes.ToString("0", CultureInfo.InvariantCulture);
            var n = status.Counts["queued"];
            return new AlertCandidate("queue_stalled", "fleet",
                $"queue stalled: {n} job{(n == 1 ? "" : "s")} queued (job {job.Id} ready), none started for {minutes} min while {string.Join(", ", idle)} {(idle.Count == 1 ? "has" : "have")} free slots",
                new Dictionary<string, object?> { ["queued"] = n, ["job"] = job.Id, ["idle_workers"] = idle });
        }

        return null;
    }
}
