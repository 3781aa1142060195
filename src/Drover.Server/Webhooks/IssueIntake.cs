using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Core;
using Drover.Core.Configuration;
using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Server.Forges;
using Drover.Server.Jobs;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Webhooks;

/// <summary>
/// Turns a forge's issue event into the issue's one job (SPEC §12), keyed <c>github:owner/name#N</c>: an issue carrying
/// the tracker's label is submitted (an edit before the claim replaces the queued spec, through the key's usual
/// idempotency), its labels <c>priority:X</c>, <c>engine:X</c>, <c>profile:X</c> set those fields, the title and body are
/// the prompt; a closed (or deleted) issue cancels its job while the job is still queued.
/// </summary>
public sealed class IssueIntake(JobService jobs, IReadOnlyList<TrackerConfig> trackers, TimeProvider time, ILogger logger)
{
    private static readonly string[] Upserts = ["opened", "edited", "labeled", "unlabeled", "reopened", "label_updated", "label_cleared"];

    /// <summary>What the event did, stored as the delivery's outcome and answered to the forge.</summary>
    public async Task<string> HandleAsync(string kind, JsonElement payload, CancellationToken ct)
    {
        var action = Text(payload, "action") ?? "";
        if (!payload.TryGetProperty("issue", out var issue) || issue.ValueKind != JsonValueKind.Object
            || !issue.TryGetProperty("number", out var n) || !n.TryGetInt64(out var number))
            return "ignored: not an issue event";
        if (issue.TryGetProperty("pull_request", out var pr) && pr.ValueKind == JsonValueKind.Object)
            return "ignored: a pull request";
        var repoName = payload.TryGetProperty("repository", out var repository) ? Text(repository, "full_name") : null;
        var tracker = trackers.FirstOrDefault(t => t.Kind == kind && string.Equals(t.Repo, repoName, StringComparison.OrdinalIgnoreCase));
        if (tracker is null)
            return "ignored: no tracker for this repository";
        if (action is "closed" or "deleted" || Text(issue, "state") == "closed")
            return await CloseAsync(tracker, number, ct);
        if (!Upserts.Contains(action, StringComparer.Ordinal))
            return $"ignored: action {action}";
        return await UpsertAsync(tracker, number, Text(issue, "title"), Text(issue, "body"), Labels(issue), ct);
    }

    /// <summary>
    /// An issue as a tracker's poll sees it: closed cancels a queued job, open with the label submits or updates one.
    /// Webhooks and polling share this rule, so both make the same one job per issue.
    /// </summary>
    public Task<string> HandleIssueAsync(TrackerConfig tracker, ForgeIssue issue, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(issue);
        return issue.State == "closed"
            ? CloseAsync(tracker, issue.Number, ct)
            : UpsertAsync(tracker, issue.Number, issue.Title, issue.Body, issue.Labels, ct);
    }

    /// <summary>Submits the issue's job, or replaces its queued spec (the key's idempotency); the outcome as answered to the forge.</summary>
    public async Task<string> UpsertAsync(TrackerConfig tracker, long number, string? title, string? body, IReadOnlyList<string> labels, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        ArgumentNullException.ThrowIfNull(labels);
        var reference = tracker.Reference(number);
        if (!labels.Contains(tracker.Label, StringComparer.OrdinalIgnoreCase))
            return "ignored: issue without the tracker's label";

        var spec = Spec(tracker, reference, string.IsNullOrWhiteSpace(title) ? reference : title, body, labels);
        try
        {
            var submitted = await jobs.SubmitAsync(new SubmitRequest(spec, null, null, Core.Workspaces.RepoUrl.IsUrl(tracker.Path) ? Path.GetTempPath() : tracker.Path), ct);
            if (submitted.Outcome != "existing")
                Log.WebhookIssueJob(logger, reference, submitted.Job.Id, submitted.Outcome);
            return submitted.Outcome;
        }
        catch (ConflictException)
        {
            return "unchanged: the issue's job already started";
        }
        catch (JobSpecException e)
        {
            Log.WebhookIssueRejected(logger, reference, e.Message);
            return $"rejected: {e.Message}";
        }
    }

    /// <summary>Cancels the issue's job while it is still queued.</summary>
    public async Task<string> CloseAsync(TrackerConfig tracker, long number, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        var reference = tracker.Reference(number);
        if (await jobs.Store.JobGetByKeyAsync(reference, ct) is not { } job)
            return "ignored: no job for this issue";
        if (job.State != JobState.Queued)
            return $"unchanged: job {job.Id} is {job.State.ToWire()}";
        try
        {
            await jobs.Store.JobCancelAsync(new(job.Id, time.GetUtcNow(), $"issue {reference} was closed", OnlyQueued: true), ct);
        }
        catch (ConflictException)
        {
            return $"unchanged: job {job.Id} started meanwhile";
        }

        Log.WebhookIssueCancelled(logger, reference, job.Id);
        return "cancelled";
    }

    /// <summary>The submission an issue makes: key and tracker are its reference, labels pick priority, engine and profile.</summary>
    public static JsonObject Spec(TrackerConfig tracker, string reference, string title, string? body, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        ArgumentNullException.ThrowIfNull(labels);
        var spec = new JsonObject
        {
            ["title"] = title,
            ["prompt"] = string.IsNullOrWhiteSpace(body) ? title : $"{title}\n\n{body.Trim()}",
            ["repo"] = tracker.Path,
            ["key"] = reference,
            ["tracker"] = reference,
        };
        if (tracker.Profile is { } profile)
            spec["profile"] = profile;
        foreach (var label in labels)
        {
            var colon = label.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
                continue;
            var value = label[(colon + 1)..].Trim();
            switch (label[..colon].Trim().ToLowerInvariant())
            {
                case "priority":
                    spec["priority"] = value.ToLowerInvariant();
                    break;
                case "engine":
                    spec["engine"] = value;
                    break;
                case "profile":
                    spec["profile"] = value;
                    break;
            }
        }

        return spec;
    }

    private static List<string> Labels(JsonElement issue)
    {
        var list = new List<string>();
        if (issue.TryGetProperty("labels", out var labels) && labels.ValueKind == JsonValueKind.Array)
        {
            foreach (var label in labels.EnumerateArray())
            {
                if (label.ValueKind == JsonValueKind.Object && Text(label, "name") is { } name)
                    list.Add(name);
                else if (label.ValueKind == JsonValueKind.String)
                    list.Add(label.GetString()!);
            }
        }

        return list;
    }

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
