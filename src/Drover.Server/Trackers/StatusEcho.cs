using System.Globalization;
using System.Text.Json;
using Drover.Core.Configuration;
using Drover.Core.Jobs;
using Drover.Core.Storage;
using Drover.Server.Forges;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Trackers;

/// <summary>
/// Echoes the life of issue jobs back to their issues (SPEC §12): a comment when the first attempt starts and when the
/// job ends, and one state label (<see cref="EchoText.StateLabels"/>). Driven by the event log from a stored cursor
/// under a lease, so one serve of a fleet echoes at a time and a restart resumes where it stopped. A forge that is down
/// delays echoes and loses none: on a transient failure the cursor stays and the event is tried again after the forge's
/// <c>Retry-After</c> or a backoff. An echo the forge refuses for good (a deleted issue) is logged and skipped.
/// </summary>
public sealed class StatusEcho(IJobStore store, ForgeClients forges, IReadOnlyList<TrackerConfig> trackers, TimeProvider time, ILogger logger, string holder)
{
    private static readonly string[] Types =
        ["job.submitted", "job.requeued", "job.claimed", "job.succeeded", "job.failed", "job.cancelled", "delivery.delivered", "delivery.failed"];
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);

    // Steps of the event being echoed that already went through, so a retry after a transient failure does not
    // post the comment twice. In memory: a crash between a step and the cursor's advance may repeat one step.
    private (long Event, int Steps) _progress;
    private TimeSpan _backoff = TimeSpan.Zero;

    /// <summary>How often the event log is read for new events.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(2);

    public async Task RunAsync(CancellationToken ct)
    {
        if (!trackers.Any(t => t.Host is not null))
            return;
        while (!ct.IsCancellationRequested)
        {
            var sleep = Interval;
            try
            {
                sleep = await PassAsync(ct);
                _backoff = TimeSpan.Zero;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (ForgeException e) when (e.Transient)
            {
                _backoff = _backoff == TimeSpan.Zero ? TimeSpan.FromSeconds(1) : TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, MaxBackoff.Ticks));
                var until = e.RetryAt is { } at && at - time.GetUtcNow() > _backoff ? at - time.GetUtcNow() : _backoff;
                sleep = until;
                Log.EchoDelayed(logger, e.Message, until);
            }
            catch (Exception e)
            {
                Log.EchoLoopFailed(logger, e);
            }

            await Task.Delay(sleep, time, ct);
        }
    }

    /// <summary>Echoes the events after the cursor while this serve holds the lease; returns how long to wait.</summary>
    public async Task<TimeSpan> PassAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var cursor = await store.ForgeEchoAcquireAsync(new(holder, await store.EventLastIdAsync(ct), now, now + Lease), ct);
        if (cursor is null)
            return Interval;
        // Events commit in id order, so every event up to this id is visible to the list below.
        var last = await store.EventLastIdAsync(ct);
        var events = await store.EventListAsync(new EventListParams(cursor.Value, 100) { Types = Types }, ct);
        foreach (var e in events)
        {
            await EchoAsync(e, ct);
            // Checkpoint: this event is echoed; a restart or another serve resumes after it.
            if (!await store.ForgeEchoAdvanceAsync(new(holder, e.Id, time.GetUtcNow() + Lease), ct))
                return Interval;
        }

        if (events.Count == 100)
            return TimeSpan.Zero;
        // Nothing left to echo up to `last`: skip the other events' ids so the next read starts past them.
        await store.ForgeEchoAdvanceAsync(new(holder, last, time.GetUtcNow() + Lease), ct);
        return Interval;
    }

    private async Task EchoAsync(EventRecord e, CancellationToken ct)
    {
        if (e.JobId is not { } jobId || await store.JobGetAsync(jobId, ct) is not { } job || Target(job) is not { } target)
            return;
        var (tracker, number) = target;
        var done = _progress.Event == e.Id ? _progress.Steps : 0;
        try
        {
            var steps = Steps(e, job, forges.For(tracker.Host!), tracker.Repo, number);
            for (var i = done; i < steps.Count; i++)
            {
                await steps[i](ct);
                _progress = (e.Id, i + 1);
            }
        }
        catch (ForgeException x) when (!x.Transient)
        {
            Log.EchoSkipped(logger, job.Id, tracker.Reference(number), x.Message);
        }
    }

    private static List<Func<CancellationToken, Task>> Steps(EventRecord e, JobRecord job, IForgeClient forge, string repo, long number)
    {
        var steps = new List<Func<CancellationToken, Task>>();
        void Comment(string text) => steps.Add(ct => forge.CommentAsync(repo, number, text, ct));
        void State(string? label) => steps.Add(ct => SetStateLabelAsync(forge, repo, number, label, ct));
        switch (e.Type)
        {
            case "job.submitted" or "job.requeued":
                State(EchoText.Queued);
                break;
            case "job.claimed":
                if (Attempt(e) == 1)
                    Comment(EchoText.Started(job));
                State(EchoText.Running);
                break;
            // A job whose branch is being delivered says how it ended once the delivery has (with its pull request).
            case "job.succeeded":
                if (job.Delivery is null)
                    Comment(EchoText.Ended(job with { State = JobState.Succeeded }));
                State(EchoText.Done);
                break;
            case "job.failed":
                if (job.Delivery is null)
                    Comment(EchoText.Ended(job with { State = JobState.Failed }));
                State(EchoText.Failed);
                break;
            case "delivery.delivered" or "delivery.failed" when job.State is JobState.Succeeded or JobState.Failed:
                Comment(EchoText.Ended(job));
                break;
            case "job.cancelled":
                Comment(EchoText.Ended(job with { State = JobState.Cancelled }));
                State(null);
                break;
        }

        return steps;
    }

    /// <summary>Puts <paramref name="label"/> on the issue and takes the other state labels off.</summary>
    private static async Task SetStateLabelAsync(IForgeClient forge, string repo, long number, string? label, CancellationToken ct)
    {
        var issue = await forge.GetIssueAsync(repo, number, ct)
            ?? throw new ForgeException($"issue {repo}#{number.ToString(CultureInfo.InvariantCulture)} is gone", 404, false);
        if (label is not null && !issue.Labels.Contains(label, StringComparer.OrdinalIgnoreCase))
            await forge.AddLabelsAsync(repo, number, [label], ct);
        foreach (var old in EchoText.StateLabels.Where(l => l != label && issue.Labels.Contains(l, StringComparer.OrdinalIgnoreCase)))
            await forge.RemoveLabelAsync(repo, number, old, ct);
    }

    /// <summary>The configured tracker and issue number of a job's <c>tracker</c> reference (<c>github:owner/name#12</c>).</summary>
    private (TrackerConfig Tracker, long Number)? Target(JobRecord job)
    {
        string? reference;
        try
        {
            using var doc = JsonDocument.Parse(job.SpecJson);
            reference = doc.RootElement.TryGetProperty("tracker", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }

        var hash = reference?.LastIndexOf('#') ?? -1;
        var colon = reference?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (reference is null || hash <= 0 || colon <= 0 || colon > hash
            || !long.TryParse(reference[(hash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            return null;
        var kind = reference[..colon];
        var repo = reference[(colon + 1)..hash];
        var tracker = trackers.FirstOrDefault(t => t.Host is not null && t.Kind == kind && string.Equals(t.Repo, repo, StringComparison.OrdinalIgnoreCase));
        return tracker is null ? null : (tracker, number);
    }

    private static int Attempt(EventRecord e)
    {
        try
        {
            using var doc = JsonDocument.Parse(e.DataJson);
            return doc.RootElement.TryGetProperty("attempt", out var a) && a.TryGetInt32(out var n) ? n : 0;
        }
        catch (JsonException)
        {
            return 0;
        }
    }
}
