using Drover.Core;
using Drover.Core.Storage;

namespace Drover.Server.Jobs;

/// <summary>
/// A tool call waiting for a person, or decided (SPEC §13), for <c>drover show</c>, <c>drover approve-tool</c> and
/// <c>/api/approvals</c>. <see cref="Arguments"/> is the call's input as the agent sent it, secrets masked, cut at 8 KiB.
/// </summary>
public sealed record ApprovalView(
    long Id,
    long JobId,
    int Attempt,
    string Tool,
    string Pattern,
    string Arguments,
    DateTimeOffset CreatedAt,
    double AgeS,
    DateTimeOffset? DecidedAt,
    string? Decision,
    string? DecidedBy,
    bool Always);

public sealed partial class JobService
{
    /// <summary>Pending tool calls, oldest first: one job's or the fleet's; with <paramref name="all"/> decided ones too.</summary>
    public async Task<IReadOnlyList<ApprovalView>> ApprovalsAsync(long? jobId, bool all, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        return [.. (await _store.ApprovalListAsync(new ApprovalListParams(jobId, all), ct)).Select(a => ToView(a, now))];
    }

    /// <summary>Allows or denies a pending tool call; with <paramref name="always"/> the same call is decided so for the rest of the job.</summary>
    public async Task<ApprovalView> DecideToolAsync(long id, string decision, bool always, string by, CancellationToken ct)
    {
        if (decision is not ("allow" or "deny"))
            throw new JobSpecException("decision", $"decision must be allow or deny, not \"{decision}\"");
        if (string.IsNullOrWhiteSpace(by) || by.Length > 64 || by.Any(char.IsControl))
            throw new JobSpecException("by", "by must be 1-64 printable characters");
        var result = await _store.ApprovalDecideAsync(new ApprovalDecideParams(id, decision, always, by, _time.GetUtcNow()), ct);
        var a = result.Approval;
        if (!result.Applied)
            throw new ConflictException($"tool call {id} was already decided: {a.Decision} by {a.DecidedBy} at {a.DecidedAt:yyyy-MM-dd'T'HH:mm:ss'Z'}", a.JobId);
        return ToView(a, _time.GetUtcNow());
    }

    internal static ApprovalView ToView(ApprovalRecord a, DateTimeOffset now) => new(
        a.Id, a.JobId, a.Attempt, a.Tool, a.Pattern, a.ArgumentsJson, a.CreatedAt, Math.Round((now - a.CreatedAt).TotalSeconds, 1),
        a.DecidedAt, a.Decision, a.DecidedBy, a.Always);

    /// <summary>A running job whose agent waits on a person says so (SPEC §4 <c>why</c>).</summary>
    private async Task<string?> ApprovalWhyAsync(Core.Jobs.JobRecord job, CancellationToken ct)
    {
        var pending = (await _store.ApprovalListAsync(new ApprovalListParams(job.Id), ct)).Where(a => a.Attempt == job.Attempt).ToList();
        if (pending.Count == 0)
            return null;
        var first = pending[0];
        var more = pending.Count > 1 ? $" (and {pending.Count - 1} more)" : "";
        return $"waiting for a person to allow or deny tool call {first.Id}: {first.Pattern}{more} (drover approve-tool {first.Id} allow|deny)";
    }
}
