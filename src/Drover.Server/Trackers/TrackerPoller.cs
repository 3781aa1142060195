using System.Collections.Concurrent;
using Drover.Core.Configuration;
using Drover.Server.Forges;
using Drover.Server.Webhooks;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Trackers;

/// <summary>
/// Tracker intake by polling (SPEC §12): every <c>poll</c> interval, lists each tracker's open labelled issues and feeds
/// them through <see cref="IssueIntake"/>, the same rule webhooks use. An issue seen open on an earlier pass but no
/// longer listed (closed or unlabelled) is read once: closed cancels its queued job. Several serves of a fleet may poll
/// the same tracker; the job key makes each issue one job whoever submits it.
/// </summary>
public sealed class TrackerPoller(IReadOnlyList<TrackerConfig> trackers, ForgeClients forges, IssueIntake intake, TimeProvider time, ILogger logger)
    : IDisposable
{
    /// <summary>Trackers added to config are read at start; this only bounds a sleep so a stop is seen.</summary>
    private static readonly TimeSpan MaxSleep = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _pass = new(1, 1);
    private readonly ConcurrentDictionary<string, HashSet<long>> _open = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, TrackerSyncView> _last = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _due = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<TrackerConfig> Trackers => trackers;

    /// <summary>Polls each tracker whose interval came round until <paramref name="ct"/> stops.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var polled = trackers.Where(t => t.Poll is not null && t.Host is not null).ToList();
        foreach (var t in trackers.Where(t => t.Host is null))
            Log.TrackerWebhooksOnly(logger, Name(t), t.Kind);
        if (polled.Count == 0)
            return;
        while (!ct.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            foreach (var t in polled.Where(t => _due.GetValueOrDefault(Name(t)) <= now))
            {
                try
                {
                    await SyncAsync(t, ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
            }

            now = time.GetUtcNow();
            var next = polled.Min(t => _due.GetValueOrDefault(Name(t)));
            var sleep = next - now;
            await Task.Delay(sleep < TimeSpan.FromMilliseconds(50) ? TimeSpan.FromMilliseconds(50) : sleep > MaxSleep ? MaxSleep : sleep, time, ct);
        }
    }

    /// <summary>One pass over every tracker now (<c>drover tracker sync</c>).</summary>
    public async Task<IReadOnlyList<TrackerSyncView>> SyncAllAsync(CancellationToken ct)
    {
        var result = new List<TrackerSyncView>();
        foreach (var t in trackers)
            result.Add(await SyncAsync(t, ct));
        return result;
    }

    public IReadOnlyList<TrackerView> List() =>
        [.. trackers.Select(t => new TrackerView(Name(t), t.Kind, t.Repo, t.Label, t.Path, t.Host,
            t.Poll is { } p ? Interval(p) : "off", _last.GetValueOrDefault(Name(t))))];

    /// <summary>One pass over one tracker; a forge failure is the pass's error (the next pass tries again).</summary>
    public async Task<TrackerSyncView> SyncAsync(TrackerConfig tracker, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        var name = Name(tracker);
        if (tracker.Host is null)
            return Record(tracker, new TrackerSyncView(name, time.GetUtcNow(), 0, 0, 0, 0, 0, 0,
                $"no [[forges]] entry of kind {tracker.Kind} to poll through (add one, and name it with host in [[trackers]]); this tracker takes webhooks only"));
        await _pass.WaitAsync(ct);
        try
        {
            return Record(tracker, await PassAsync(tracker, forges.For(tracker.Host), ct));
        }
        catch (ForgeException e)
        {
            Log.TrackerPollFailed(logger, name, e.Message);
            if (e.RetryAt is { } at)
                _due[name] = at;
            return Record(tracker, new TrackerSyncView(name, time.GetUtcNow(), 0, 0, 0, 0, 0, 0, e.Message));
        }
        finally
        {
            _pass.Release();
        }
    }

    private async Task<TrackerSyncView> PassAsync(TrackerConfig tracker, IForgeClient forge, CancellationToken ct)
    {
        var name = Name(tracker);
        var issues = await forge.ListIssuesAsync(tracker.Repo, tracker.Label, ct);
        var tally = new Dictionary<string, int>(StringComparer.Ordinal);
        void Count(string outcome)
        {
            var kind = outcome.Split(':')[0] switch
            {
                "created" => "submitted",
                "superseded" => "updated",
                "cancelled" => "cancelled",
                "rejected" => "rejected",
                "ignored" => "ignored",
                _ => "unchanged",
            };
            tally[kind] = tally.GetValueOrDefault(kind) + 1;
        }

        foreach (var issue in issues)
            Count(await intake.HandleIssueAsync(tracker, issue, ct));

        // Issues that left the list since the last pass: closed ones cancel their queued job.
        var listed = issues.Select(i => i.Number).ToHashSet();
        foreach (var gone in _open.GetValueOrDefault(name) ?? [])
        {
            if (listed.Contains(gone))
                continue;
            var issue = await forge.GetIssueAsync(tracker.Repo, gone, ct);
            if (issue is null || issue.State == "closed")
                Count(await intake.CloseAsync(tracker, gone, ct));
        }

        _open[name] = listed;
        var view = new TrackerSyncView(name, time.GetUtcNow(), issues.Count, tally.GetValueOrDefault("submitted"), tally.GetValueOrDefault("updated"),
            tally.GetValueOrDefault("unchanged"), tally.GetValueOrDefault("cancelled"), tally.GetValueOrDefault("rejected"), null);
        Log.TrackerPolled(logger, name, view.Seen, view.Submitted, view.Updated, view.Cancelled);
        return view;
    }

    private TrackerSyncView Record(TrackerConfig tracker, TrackerSyncView view)
    {
        _last[view.Tracker] = view;
        if (tracker.Poll is { } poll)
            _due[view.Tracker] = _due.TryGetValue(view.Tracker, out var held) && held > view.At + poll ? held : view.At + poll;
        return view;
    }

    private static string Interval(TimeSpan t) =>
        t.TotalHours >= 1 && t.Minutes == 0 && t.Seconds == 0 ? $"{t.TotalHours:0}h"
        : t.TotalMinutes >= 1 && t.Seconds == 0 ? $"{t.TotalMinutes:0}m"
        : $"{t.TotalSeconds:0}s";

    public void Dispose() => _pass.Dispose();

    public static string Name(TrackerConfig tracker)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        return $"{tracker.Kind}:{tracker.Repo}";
    }
}
