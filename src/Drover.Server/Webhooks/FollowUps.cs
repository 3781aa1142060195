using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Core;
using Drover.Core.Configuration;
using Drover.Core.Specs;
using Drover.Server.Jobs;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Webhooks;

/// <summary>
/// Follow-up jobs (SPEC §12): a failed check run or workflow run on a Drover pull request (head branch
/// <c>drover/&lt;id&gt;</c>), or a review that requests changes, queues one job on the same branch carrying what failed
/// or what was asked. The follow-up starts from the pull request's head, pushes to the same branch and comments on the
/// pull request. One per failing commit (or review), keyed <c>followup:&lt;id&gt;:…</c>, and at most
/// <c>[delivery] max_followups</c> per pull request.
/// </summary>
public sealed class FollowUps(JobService jobs, DeliveryConfig config, ILogger logger)
{
    /// <summary>How much of a check's output or a review's text the follow-up's prompt carries.</summary>
    public const int DetailLimit = 4000;

    private static readonly string[] FailedConclusions = ["failure", "timed_out"];

    /// <summary>Whether <paramref name="eventName"/> is one this class handles.</summary>
    public static bool Handles(string kind, string eventName) =>
        kind == "github" ? eventName is "check_run" or "workflow_run" or "pull_request_review" : eventName is "pull_request_review_rejected";

    public async Task<string> HandleAsync(string kind, string eventName, JsonElement payload, CancellationToken ct)
    {
        if (Trigger(kind, eventName, payload) is not { } t)
            return $"ignored: {eventName} that asks for no fix";
        if (!TryRootJob(t.Branch, out var root))
            return $"ignored: {t.Branch} is not a Drover branch";
        if (await jobs.Store.JobGetAsync(root, ct) is not { } job)
            return $"ignored: no job {root.ToString(CultureInfo.InvariantCulture)}";
        if (job.Delivery is not { Mode: "pr" or "pr_draft" } delivery)
            return $"ignored: job {root.ToString(CultureInfo.InvariantCulture)} delivered no pull request";

        var key = $"followup:{root.ToString(CultureInfo.InvariantCulture)}:{t.Id}";
        if (await jobs.Store.JobGetByKeyAsync(key, ct) is { } existing)
            return $"unchanged: follow-up job {existing.Id.ToString(CultureInfo.InvariantCulture)} exists";
        var label = $"followup_of={root.ToString(CultureInfo.InvariantCulture)}";
        var earlier = (await jobs.ListJobsAsync(new JobQuery(Label: label, Limit: 500), ct)).Jobs.Count;
        if (earlier >= config.MaxFollowups)
        {
            Log.FollowUpCapped(logger, root, earlier);
            return $"ignored: the pull request of job {root.ToString(CultureInfo.InvariantCulture)} had its {earlier.ToString(CultureInfo.InvariantCulture)} follow-ups ([delivery] max_followups)";
        }

        var spec = Spec(job.SpecJson, job.Title, root, earlier + 1, t, delivery.Url, key);
        try
        {
            var submitted = await jobs.SubmitAsync(new SubmitRequest(spec, null, null, Path.GetTempPath()), ct);
            Log.FollowUpQueued(logger, submitted.Job.Id, root, t.What.Split('\n')[0]);
            return $"follow-up job {submitted.Job.Id.ToString(CultureInfo.InvariantCulture)} queued";
        }
        catch (JobSpecException e)
        {
            return $"rejected: {e.Message}";
        }
    }

    /// <summary>The follow-up's spec: the original's, on the pull request's branch, with what failed added to the prompt.</summary>
    public static JsonObject Spec(string originalSpecJson, string originalTitle, long root, int n, FollowUpTrigger t, string? pullUrl, string key)
    {
        ArgumentNullException.ThrowIfNull(t);
        var spec = JsonNode.Parse(originalSpecJson)!.AsObject();
        var title = $"Follow-up {n.ToString(CultureInfo.InvariantCulture)} to job {root.ToString(CultureInfo.InvariantCulture)}: {originalTitle}";
        spec["title"] = title.Length > 200 ? title[..200] : title;
        var prompt = (string?)spec["prompt"] ?? "";
        spec["prompt"] = $"{prompt}\n\n---\nThe pull request{(pullUrl is null ? "" : " " + pullUrl)} made for this work needs more: {t.What}\n\n" +
            "You are on its branch with the work so far. Fix what failed (or do what was asked) and keep what works.";
        spec["base"] = t.Branch;
        spec["deliver_branch"] = t.Branch;
        if ((string?)spec["deliver"] is not ("pr" or "pr_draft"))
            spec["deliver"] = "pr";
        spec["key"] = key;
        spec.Remove("after");
        var labels = spec["labels"] as JsonObject ?? [];
        labels["followup_of"] = root.ToString(CultureInfo.InvariantCulture);
        spec["labels"] = labels.DeepClone();
        return spec;
    }

    /// <summary><c>drover/&lt;id&gt;</c> → the job that opened the pull request.</summary>
    public static bool TryRootJob(string branch, out long id)
    {
        id = 0;
        return branch.StartsWith("drover/", StringComparison.Ordinal)
            && long.TryParse(branch["drover/".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out id) && id > 0;
    }

    /// <summary>What in the event asks for a fix: the pull request's branch, an id for the key, and the words for the prompt.</summary>
    public static FollowUpTrigger? Trigger(string kind, string eventName, JsonElement p)
    {
        var action = Text(p, "action");
        switch (kind, eventName)
        {
            case ("github", "check_run") when action == "completed" && Obj(p, "check_run") is { } run && FailedConclusions.Contains(Text(run, "conclusion")):
                {
                    var branch = PullHead(run) ?? Text(Obj(run, "check_suite"), "head_branch");
                    var output = Obj(run, "output");
                    var detail = string.Join("\n", new[] { Text(output, "title"), Text(output, "summary"), Text(output, "text") }.Where(s => !string.IsNullOrWhiteSpace(s)));
                    return branch is null ? null : new FollowUpTrigger(branch, "sha-" + (Text(run, "head_sha") ?? "?"),
                        Cap($"the check \"{Text(run, "name")}\" ended {Text(run, "conclusion")}{(Text(run, "html_url") is { } u ? $" ({u})" : "")}.\n{detail}"));
                }

            case ("github", "workflow_run") when action == "completed" && Obj(p, "workflow_run") is { } run && FailedConclusions.Contains(Text(run, "conclusion")):
                {
                    var branch = PullHead(run) ?? Text(run, "head_branch");
                    return branch is null ? null : new FollowUpTrigger(branch, "sha-" + (Text(run, "head_sha") ?? "?"),
                        Cap($"the workflow \"{Text(run, "name")}\" ended {Text(run, "conclusion")}{(Text(run, "html_url") is { } u ? $" ({u})" : "")}."));
                }

            case ("github", "pull_request_review") when action == "submitted" && Obj(p, "review") is { } review
                && string.Equals(Text(review, "state"), "changes_requested", StringComparison.OrdinalIgnoreCase):
                {
                    var branch = Text(Obj(Obj(p, "pull_request"), "head"), "ref");
                    var id = review.TryGetProperty("id", out var rid) && rid.TryGetInt64(out var r) ? r.ToString(CultureInfo.InvariantCulture) : Text(review, "commit_id") ?? "?";
                    return branch is null ? null : new FollowUpTrigger(branch, "review-" + id,
                        Cap($"a review by {Text(Obj(review, "user"), "login") ?? "a reviewer"} requested changes:\n{Text(review, "body")}"));
                }

            case ("gitea", "pull_request_review_rejected"):
                {
                    var pull = Obj(p, "pull_request");
                    var head = Obj(pull, "head");
                    var branch = Text(head, "ref");
                    return branch is null ? null : new FollowUpTrigger(branch, "review-" + (Text(head, "sha") ?? "?"),
                        Cap($"a review by {Text(Obj(p, "sender"), "login") ?? "a reviewer"} requested changes:\n{Text(Obj(p, "review"), "content")}"));
                }

            default:
                return null;
        }
    }

    private static string? PullHead(JsonElement run) =>
        run.TryGetProperty("pull_requests", out var pulls) && pulls.ValueKind == JsonValueKind.Array && pulls.GetArrayLength() > 0
            ? Text(Obj(pulls[0], "head"), "ref")
            : null;

    private static string Cap(string text) => text.Length > DetailLimit ? text[..DetailLimit] + " …" : text.TrimEnd();

    private static JsonElement? Obj(JsonElement? e, string name) =>
        e is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    private static string? Text(JsonElement? e, string name) =>
        e is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

/// <summary>A request for a fix: the pull request's head branch, an id naming this failure (for the key), what to fix.</summary>
public sealed record FollowUpTrigger(string Branch, string Id, string What);
