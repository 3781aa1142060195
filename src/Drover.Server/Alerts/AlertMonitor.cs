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
/// <param name="maxRunning"><c>[fleet] max_running</c> (0: no cap): a fleet at its cap is not stalled.</param>
public sealed class AlertMonitor(
    IJobStore store, JobService jobs, AlertsConfig config, int maxRunning, AlertDispatcher dispatcher, TimeProvider time, ILogger logger)
{
    private static readonly TimeSpan StallCheckEvery = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan OrphanCheckEvery = TimeSpan.FromMinutes(1);

    /// <summary>Events older than this when read (a server down for a day) still move the rules' windows but raise nothing.</summary>
    private static readonly TimeSpan MaxAge = TimeSpan.FromHours(1);

    /// <summary>What an alert closed because its job succeeded records as having acknowledged it.</summary>
    public const string ResolvedBySuccess = "resolved: job succeeded";

    private readonly AlertRules _rules = new(config);
    private Dictionary<string, string> _hosts = new(StringComparer.Ordinal);

    public async Task RunAsync(CancellationToken ct)
    {
        var started = time.GetUtcNow();
        var lastStallCheck = started;
        var lastOrphanCheck = DateTimeOffset.MinValue;
        long cursor = -1;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (cursor < 0)
                {
                    cursor = await store.AlertCursorGetAsync(ct);
                    if (cursor == 0)
                        cursor = await store.EventLastIdAsync(ct);
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
                if (now - lastOrphanCheck >= OrphanCheckEvery)
                {
                    lastOrphanCheck = now;
                    await TakeOverOrphansAsync(now, ct);
                }

                if (now - lastStallCheck >= StallCheckEvery)
                {
                    lastStallCheck = now;
                    if (await StalledAsync(_rules.LastClaimAt ?? started, now, ct) is { } stalled)
                        await RaiseAsync(stalled, ct);
                }

                if (events.Count < 500)
                    await store.WaitForChangeAsync(TimeSpan.FromSeconds(5), ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Log.AlertMonitorError(logger, e);
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

        var succeeded = events.Where(e => e.Type is "job.succeeded" or "job.approved" && e.JobId is not null)
            .Select(e => e.JobId!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .ToHashSet(StringComparer.Ordinal);
        if (succeeded.Count > 0)
            await ResolveJobAlertsAsync(succeeded, ct);
        if (events.Any(e => e.Type == "approval.decided"))
            await ResolveApprovalAlertsAsync(ct);
    }

    /// <summary>A tool call someone (or the timeout) decided needs nobody any more: its approval_pending alert is closed.</summary>
    private async Task ResolveApprovalAlertsAsync(CancellationToken ct)
    {
        foreach (var alert in await store.AlertListAsync(new AlertListParams(Limit: 1000), ct))
        {
            if (alert.Kind != "approval_pending" || !long.TryParse(alert.Subject, System.Globalization.CultureInfo.InvariantCulture, out var id)
                || await store.ApprovalGetAsync(id, ct) is not { Pending: false } decided)
                continue;
            await store.AlertAckAsync(new AlertAckParams(alert.Id, time.GetUtcNow(), $"resolved: {decided.Decision} by {decided.DecidedBy}"), ct);
            Log.ApprovalAlertResolved(logger, alert.Id, id);
        }
    }

    /// <summary>A job that succeeded after all (a retry, a later attempt) needs nobody: its open job alerts are closed, saying why.</summary>
    private async Task ResolveJobAlertsAsync(HashSet<string> jobIds, CancellationToken ct)
    {
        foreach (var alert in await store.AlertListAsync(new AlertListParams(Limit: 1000), ct))
        {
            if (!alert.Kind.StartsWith("job_", StringComparison.Ordinal) || !jobIds.Contains(alert.Subject))
                continue;
            await store.AlertAckAsync(new AlertAckParams(alert.Id, time.GetUtcNow(), ResolvedBySuccess), ct);
            Log.AlertResolved(logger, alert.Id, alert.Subject);
        }
    }

    /// <summary>
    /// Open alerts from the last hour with no delivery recorded although their raiser's deliveries must have ended by
    /// now (it died first): one process takes each over and delivers it.
    /// </summary>
    private async Task TakeOverOrphansAsync(DateTimeOffset now, CancellationToken ct)
    {
        if (dispatcher.SinkCount == 0)
            return;
        var grace = dispatcher.MaxDeliveryTime;
        foreach (var alert in await store.AlertListAsync(new AlertListParams(Limit: 200), ct))
        {
            if (alert.DeliveredAt is null && now - alert.FirstAt <= MaxAge && now - alert.FirstAt > grace
                && await store.AlertTakeOverDeliveryAsync(alert.Id, now, ct))
            {
                Log.AlertTakenOver(logger, alert.Id);
                dispatcher.Enqueue(alert);
            }
        }
    }

    private async Task RaiseAsync(AlertCandidate c, CancellationToken ct)
    {
        var data = JsonSerializer.Serialize(c.Data, DroverJson.Options);
        var result = await store.AlertRaiseAsync(new AlertRaiseParams(c.Key, c.Kind, c.Subject, c.Message, data, config.Cooldown, time.GetUtcNow()), ct);
        if (!result.Raised)
            return;
        Log.AlertRaised(logger, result.Alert.Id, result.Alert.Message);
        dispatcher.Enqueue(result.Alert);
    }

    /// <summary>Gathers what <see cref="AlertRules.Stalled"/> needs: status, and the oldest queued jobs with why they wait.</summary>
    private async Task<AlertCandidate?> StalledAsync(DateTimeOffset lastClaim, DateTimeOffset now, CancellationToken ct)
    {
        if (now - lastClaim < config.StallAfter)
            return null;
        var status = await jobs.StatusAsync(ct);
        if (status.Paused || status.Counts.GetValueOrDefault("queued") == 0)
            return null;
        var queued = await store.JobListAsync(new JobListParams(JobState.Queued, Limit: 50), ct);
        var waiting = new List<(JobRecord, string?)>();
        foreach (var job in queued.Jobs.Where(j => now - j.NextEligibleAt >= config.StallAfter && now - j.CreatedAt >= config.StallAfter).OrderBy(j => j.Id).Take(10))
            waiting.Add((job, await jobs.WhyAsync(job, ct)));
        return _rules.Stalled(status, waiting, maxRunning, lastClaim, now);
    }
}
