using Drover.Core.Jobs;
using Drover.Core.Specs;

namespace Drover.Core.Storage;

/// <summary>One job a <c>DROVER_PROPOSE</c> line asks for, validated and in canonical form (SPEC §12).</summary>
/// <param name="Key">The proposal's key: its own <c>key</c>, else <c>proposal:</c> and the hash of its canonical spec.</param>
/// <param name="Spec">The job it becomes (its <see cref="JobSpec.Key"/> is null: the key lives with the proposal).</param>
public sealed record ProposalDraft(string Key, JobSpec Spec, string SpecJson, string SpecHash);

/// <summary>
/// The proposals of an attempt, recorded with its completion in the same transaction when it succeeds (see
/// <see cref="JobCompleteParams.Proposals"/>): each becomes a job blocked on <c>proposal</c>, unless its key already
/// has one, or was rejected less than <paramref name="Remember"/> ago, or <paramref name="MaxPerDay"/> proposals were
/// already taken this UTC day. What is dropped, and why, is a <c>proposal.dropped</c> event on the proposing job.
/// </summary>
public sealed record ProposalBatch(IReadOnlyList<ProposalDraft> Drafts, int MaxPerDay, TimeSpan Remember);

/// <summary>A person's decision on a waiting proposal: accept (→ queued) or reject (→ cancelled, key remembered).</summary>
public sealed record ProposalDecideParams(long JobId, bool Accept, DateTimeOffset Now, string? Reason = null);

/// <summary>A job waiting for a person to accept or reject it, and who proposed it.</summary>
public sealed record ProposalRecord(JobRecord Job, string Key, long ProposedBy, DateTimeOffset ProposedAt);
