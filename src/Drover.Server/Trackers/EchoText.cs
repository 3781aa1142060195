using System.Globalization;
using Drover.Core.Jobs;

namespace Drover.Server.Trackers;

/// <summary>
/// The comments the status echo posts on a job's issue, built from the job's record: the one place their wording
/// lives. The pull request link comes from <see cref="PullUrl"/>.
/// </summary>
public static class EchoText
{
    /// <summary>The state labels the echo keeps on an issue, one at a time.</summary>
    public const string Queued = "drover:queued";
    public const string Running = "drover:running";
    public const string Done = "drover:done";
    public const string Failed = "drover:failed";

    public static readonly IReadOnlyList<string> StateLabels = [Queued, Running, Done, Failed];

    public static string Started(JobRecord job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return $"Drover started job {Id(job)} ({job.Engine}) for this issue.";
    }

    /// <summary>The comment for a job that ended: its outcome, cost, why it failed, and its pull request.</summary>
    public static string Ended(JobRecord job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var lines = new List<string> { $"Drover job {Id(job)} {job.State.ToWire()}." };
        if (job.State == JobState.Failed && job.Reason is { Length: > 0 } reason)
            lines.Add($"Reason: {(job.Class is { } cls ? $"{cls}: " : "")}{Trim(reason)}");
        if (job.State == JobState.Cancelled && job.Reason is { Length: > 0 } why)
            lines.Add($"Reason: {Trim(why)}");
        lines.Add($"Cost: ${job.Usage.CostUsd.ToString("0.00", CultureInfo.InvariantCulture)}; attempts: {job.Attempt.ToString(CultureInfo.InvariantCulture)}.");
        if (PullUrl(job) is { } url)
            lines.Add($"Pull request: {url}");
        else if (job.Delivery is { State: "failed" } failed)
            lines.Add($"Delivery ({failed.Mode}) failed: {Trim(failed.Reason ?? "no reason recorded")}");
        else if (job.Delivery is { State: "delivered", Url: { } pushed })
            lines.Add($"Pushed: {pushed}");
        return string.Join("\n\n", lines);
    }

    /// <summary>The job's pull request, when its delivery opened one (a push alone records the remote and branch, not a URL).</summary>
    public static string? PullUrl(JobRecord job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.Delivery is { State: "delivered", Mode: "pr" or "pr_draft", Url: { } url } && Uri.TryCreate(url, UriKind.Absolute, out var u) && u.Scheme is "https" or "http"
            ? url
            : null;
    }

    /// <summary>The state label for a job state, or null for none (cancelled).</summary>
    public static string? Label(JobState state) => state switch
    {
        JobState.Queued => Queued,
        JobState.Running or JobState.Blocked => Running,
        JobState.Succeeded => Done,
        JobState.Failed => Failed,
        _ => null,
    };

    private static string Id(JobRecord job) => job.Id.ToString(CultureInfo.InvariantCulture);

    private static string Trim(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length > 500 ? line[..500] + "…" : line;
    }
}
