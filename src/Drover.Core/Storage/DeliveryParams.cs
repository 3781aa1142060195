namespace Drover.Core.Storage;

/// <summary>
/// What a worker asks for the job's branch when it reports an attempt (SPEC §12): <see cref="Mode"/> push | pr |
/// pr_draft | none on success, and whether a job that finally fails <c>verify</c> still gets a draft pull request.
/// <see cref="Host"/> is the host whose repository or mirror now holds the branch: the one that can push it.
/// </summary>
public sealed record DeliveryRequest(string Mode, string Host, bool DraftOnVerifyFailure = false);

/// <summary>
/// Claims the next pending delivery of <see cref="Host"/> that is due and not held by a live claim, for <see cref="Lease"/>.
/// <see cref="ReleaseHeld"/> (a worker starting): first frees the host's held claims, left by a process of the host that
/// died mid-delivery; a live one that still holds one is fenced off by the new claim's epoch.
/// </summary>
public sealed record DeliveryClaimParams(string Host, DateTimeOffset Now, TimeSpan Lease, bool ReleaseHeld = false);

/// <summary>
/// A claimed delivery: the job, the fencing <see cref="Epoch"/> every write of this claim carries, the mode, the try
/// (1-based), and the pull request number and URL already recorded by an earlier try (so a retry updates, never reopens).
/// </summary>
public sealed record DeliveryClaim(long JobId, long Epoch, string Mode, int Try, long? PullNumber, string? Url);

/// <summary>
/// A claimed delivery's progress or end, fenced by <see cref="Epoch"/>. <see cref="State"/>: pending (progress, or a
/// transient failure tried again at <see cref="NextAt"/>), delivered, or failed (final). <see cref="PullNumber"/> and
/// <see cref="Url"/> are kept when null. Event: <c>delivery.progress</c>, <c>delivery.retrying</c>, <c>delivery.delivered</c>
/// or <c>delivery.failed</c>.
/// </summary>
public sealed record DeliveryUpdateParams(
    long JobId,
    long Epoch,
    DateTimeOffset Now,
    string State,
    string? Reason = null,
    long? PullNumber = null,
    string? Url = null,
    DateTimeOffset? NextAt = null);

/// <summary>
/// An operator asks again (<c>drover deliver</c>): a succeeded job whose branch host is known gets a pending delivery in
/// <see cref="Mode"/> (null: the mode it had), tries reset. A delivery in progress or already delivered in the same
/// mode is a conflict.
/// </summary>
public sealed record DeliveryRequeueParams(long JobId, DateTimeOffset Now, string? Mode);
