using System.Globalization;
using System.Text;
using Drover.Core.Jobs;
using Drover.Core.Specs;

namespace Drover.Server.Delivery;

/// <summary>
/// A delivered job's pull request (SPEC §12): the title is the job's; the body says what was asked, what changed, what
/// <c>verify</c> said, what it cost and where the job is. A marker comment names the job so a later look at the forge
/// can tell Drover's pull requests (and which job) from a person's.
/// </summary>
public static class PullRequestText
{
    /// <summary>The prompt is quoted up to this many characters; the forge takes 65,536 for a whole body.</summary>
    public const int PromptLimit = 4000;

    public static string Marker(long jobId) => $"<!-- drover:job={jobId.ToString(CultureInfo.InvariantCulture)} -->";

    public static string Title(JobRecord job, bool draftOfFailure) =>
        draftOfFailure ? $"[verify failed] {job.Title}" : job.Title;

    public static string Body(JobRecord job, JobSpec spec, string host, string? link)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(spec);
        var b = new StringBuilder();
        b.AppendLine(Marker(job.Id));
        b.AppendLine(CultureInfo.InvariantCulture, $"### What was asked");
        b.AppendLine();
        var prompt = spec.Prompt.Length > PromptLimit ? spec.Prompt[..PromptLimit] + " …" : spec.Prompt;
        foreach (var line in (prompt.Length == 0 ? job.Title : prompt).Split('\n'))
            b.Append("> ").AppendLine(line.TrimEnd('\r'));
        b.AppendLine();
        b.AppendLine("### What changed");
        b.AppendLine();
        b.AppendLine(job.Diff is { } d
            ? string.Create(CultureInfo.InvariantCulture, $"{d.Files} file{(d.Files == 1 ? "" : "s")} changed, +{d.Added} −{d.Deleted}, on `{job.Branch ?? "drover/" + job.Id}`")
            : $"on `{job.Branch ?? "drover/" + job.Id}`");
        if (!string.IsNullOrWhiteSpace(job.Summary))
        {
            b.AppendLine();
            b.AppendLine(job.Summary.Trim());
        }

        b.AppendLine();
        b.AppendLine("### Verify");
        b.AppendLine();
        b.AppendLine(Verify(job, spec));
        b.AppendLine();
        b.AppendLine("### Cost");
        b.AppendLine();
        b.AppendLine(Cost(job.Usage));
        b.AppendLine();
        var name = string.Create(CultureInfo.InvariantCulture, $"job #{job.Id}");
        b.Append("Opened by Drover for ").Append(link is null ? name : $"[{name}]({link})")
            .Append(CultureInfo.InvariantCulture, $" (engine {(job.Engine.Length == 0 ? "-" : job.Engine)}, attempt {job.Attempt}, host {host})");
        if (spec.Tracker is { } tracker)
            b.Append(", from ").Append(tracker);
        b.AppendLine(".");
        return b.ToString();
    }

    /// <summary>What a follow-up job says on the pull request it pushed to: its change, verify and cost.</summary>
    public static string FollowUpComment(JobRecord job, JobSpec spec, string host, string? link)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(spec);
        var name = string.Create(CultureInfo.InvariantCulture, $"job #{job.Id}");
        var b = new StringBuilder();
        b.AppendLine(Marker(job.Id));
        b.Append("Follow-up ").Append(link is null ? name : $"[{name}]({link})").AppendLine(CultureInfo.InvariantCulture, $" pushed to `{spec.DeliverBranch}` (host {host}).");
        b.AppendLine();
        if (job.Diff is { } d)
            b.AppendLine(string.Create(CultureInfo.InvariantCulture, $"- Changed: {d.Files} file{(d.Files == 1 ? "" : "s")}, +{d.Added} −{d.Deleted}"));
        if (!string.IsNullOrWhiteSpace(job.Summary))
            b.AppendLine("- Summary: " + job.Summary.Trim().ReplaceLineEndings(" "));
        b.AppendLine("- Verify: " + Verify(job, spec).ReplaceLineEndings(" "));
        b.AppendLine("- Cost: " + Cost(job.Usage));
        return b.ToString();
    }

    private static string Verify(JobRecord job, JobSpec spec)
    {
        if (spec.Verify is null)
            return "No `verify` command was set for this job.";
        var command = spec.Verify.Contains('\n', StringComparison.Ordinal) ? $"```\n{spec.Verify.Trim()}\n```\n" : $"`{spec.Verify}` ";
        return job.State == JobState.Succeeded
            ? command + "passed."
            : command + $"failed: {job.Reason ?? job.Class ?? "no reason recorded"}";
    }

    /// <summary>The cost line: dollars and tokens, and how the dollars were known.</summary>
    public static string Cost(UsageRecord u)
    {
        ArgumentNullException.ThrowIfNull(u);
        if (u.IsEmpty)
            return "No usage was reported.";
        return string.Create(CultureInfo.InvariantCulture,
            $"${u.CostUsd:0.00##} ({u.InputTokens:N0} input, {u.CachedInputTokens:N0} cached, {u.OutputTokens:N0} output tokens; {u.CostSource}{(u.Model is null ? "" : ", " + u.Model)})");
    }
}
