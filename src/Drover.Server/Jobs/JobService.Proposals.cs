using Drover.Core;
using Drover.Core.Specs;
using Drover.Core.Storage;

namespace Drover.Server.Jobs;

/// <summary>
/// A job another job proposed (SPEC §12), waiting for a person to accept or reject it, for <c>drover proposals</c>,
/// <c>/api/proposals</c> and the dashboard. <see cref="Prompt"/> is cut at 4 KiB.
/// </summary>
public sealed record ProposalView(
    long Id,
    string Title,
    string Key,
    long ProposedBy,
    DateTimeOffset ProposedAt,
    double AgeS,
    string Engine,
    string Repo,
    string Prompt);

public sealed partial class JobService
{
    public const int MaxRejectReason = 1000;

    /// <summary>Jobs waiting for a person to accept or reject them, oldest first.</summary>
    public async Task<IReadOnlyList<ProposalView>> ProposalsAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        return [.. (await _store.ProposalListAsync(ct)).Select(p => ToView(p, now))];
    }

    /// <summary>A waiting proposal goes to the queue and runs like any job; any other id is bad input.</summary>
    public async Task<JobView> AcceptProposalAsync(long id, CancellationToken ct) =>
        await ToViewAsync(await _store.ProposalDecideAsync(new ProposalDecideParams(id, true, _time.GetUtcNow()), ct), false, ct);

    /// <summary>A waiting proposal is cancelled ("proposal rejected: REASON"); its key is not proposed again for [proposals] remember.</summary>
    public async Task<JobView> RejectProposalAsync(long id, string? reason, CancellationToken ct)
    {
        if (reason is { Length: > MaxRejectReason })
            throw new JobSpecException("reason", $"reason is longer than {MaxRejectReason} characters");
        if (reason is not null && reason.Any(c => char.IsControl(c) && c != '\n'))
            throw new JobSpecException("reason", "reason must not contain control characters");
        return await ToViewAsync(await _store.ProposalDecideAsync(new ProposalDecideParams(id, false, _time.GetUtcNow(), reason), ct), false, ct);
    }

    private static ProposalView ToView(ProposalRecord p, DateTimeOffset now)
    {
        var spec = JobSpecJson.Deserialize(p.Job.SpecJson);
        var prompt = spec.Prompt.Length <= 4096 ? spec.Prompt : spec.Prompt[..4095] + "…";
        return new ProposalView(
            p.Job.Id, p.Job.Title, p.Key, p.ProposedBy, p.ProposedAt, Math.Round((now - p.ProposedAt).TotalSeconds, 1), p.Job.Engine, spec.Repo, prompt);
    }
}
