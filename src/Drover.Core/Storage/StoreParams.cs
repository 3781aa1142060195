using Drover.Core.Jobs;
using Drover.Core.Specs;

namespace Drover.Core.Storage;

public sealed record JobInsertParams(JobSpec Spec, string SpecJson, string SpecHash, DateTimeOffset Now);

public enum InsertOutcome { Created, Existing, Superseded }

public sealed record JobInsertResult(JobRecord Job, InsertOutcome Outcome);

/// <param name="Engine">Only jobs of this engine.</param>
/// <param name="Text">Only jobs whose title contains this text, ignoring case (ASCII case on SQLite).</param>
/// <param name="WithSpec">False: <see cref="JobRecord.SpecJson"/> is <c>{}</c>, not read (a page of list rows stays small).</param>
public sealed record JobListParams(
    JobState? State = null, string? LabelKey = null, string? LabelValue = null, int Limit = 50, long? Cursor = null, string? Engine = null, string? Text = null,
    bool WithSpec = true);

public sealed record JobPage(IReadOnlyList<JobRecord> Jobs, long? NextCursor);

/// <param name="Capabilities">The worker's capabilities, matched with <see cref="Scheduling.CapabilityMatcher"/>.</param>
/// <param name="PausedEngines">Engines whose gate is closed: their jobs are not claimed.</param>
public sealed record JobClaimParams(
    string Worker,
    DateTimeOffset Now,
    TimeSpan LeaseTtl,
    int Max,
    IReadOnlyList<string> Capabilities,
    IReadOnlySet<string>? PausedEngines = null);

public sealed record JobLeaseRenewParams(long JobId, long Epoch, DateTimeOffset Now, TimeSpan LeaseTtl);

public sealed record JobProgressParams(long JobId, long Epoch, DateTimeOffset Now, string Text);

public enum AttemptOutcomeKind { Succeeded, Failed, Blocked, Released }

/// <param name="Class">Failure class for Failed (see <see cref="FailureClass"/>).</param>
/// <param name="BlockedOn">"question" or "approval" for Blocked ("proposal" is set only on jobs other jobs propose).</param>
/// <param name="Question">The agent's question when BlockedOn is "question".</param>
/// <param name="NotBefore">For a release: the job is not eligible again before this time.</param>
/// <param name="GateEngine">For a release: also close this engine's gate fleet-wide until <paramref name="NotBefore"/>
/// (a provider's usage limit applies to every job of the engine, not just this one).</param>
public sealed record AttemptOutcome(
    AttemptOutcomeKind Kind,
    string? Class = null,
    string? Reason = null,
    string? BlockedOn = null,
    string? Question = null,
    DateTimeOffset? NotBefore = null,
    string? GateEngine = null)
{
    /// <summary>A rate or usage limit with a known reset: back to queued until then, not a failed attempt.</summary>
    public static AttemptOutcome WaitForReset(string cls, string reason, DateTimeOffset resetAt, string engine) =>
        new(AttemptOutcomeKind.Released, cls, reason, NotBefore: resetAt, GateEngine: engine);

    public static AttemptOutcome Success() => new(AttemptOutcomeKind.Succeeded);
    public static AttemptOutcome Failure(string cls, string reason) => new(AttemptOutcomeKind.Failed, cls, reason);
    public static AttemptOutcome AwaitAnswer(string question) => new(AttemptOutcomeKind.Blocked, BlockedOn: "question", Question: question);
    public static AttemptOutcome AwaitApproval() => new(AttemptOutcomeKind.Blocked, BlockedOn: "approval");
    public static AttemptOutcome Release(string reason) => new(AttemptOutcomeKind.Released, Reason: reason);

    /// <summary>The host failed the attempt, not the job (runs/ not writable, disk full): queued again at once, no failure counted.</summary>
    public static AttemptOutcome HostFailure(string reason) => new(AttemptOutcomeKind.Released, FailureClass.Infra, reason);
}

public sealed record AttemptResult(
    int? ExitCode = null,
    UsageRecord? Usage = null,
    string? Branch = null,
    string? Head = null,
    DiffStats? Diff = null,
    string? Summary = null,
    string? LogTail = null,
    bool EngineRan = false,
    DeliveryRequest? Deliver = null);

/// <param name="JitterUnit">A number in [0,1) for the retry backoff jitter.</param>
public sealed record JobCompleteParams(
    long JobId,
    long Epoch,
    DateTimeOffset Now,
    AttemptOutcome Outcome,
    AttemptResult Result,
    double JitterUnit)
{
    /// <summary>What the attempt proposed (DROVER_PROPOSE): recorded only when it succeeds, in the same transaction.</summary>
    public ProposalBatch? Proposals { get; init; }
}

public sealed record JobCompleteResult(bool Applied, JobState? State);

public sealed record JobRescueParams(DateTimeOffset Now, double JitterUnit);

public sealed record JobHeldExpireParams(DateTimeOffset Now);

/// <param name="Engines">Engine names some live worker offers.</param>
/// <param name="Waited">How long the jobs may wait for one (for the reason text).</param>
public sealed record JobNoEngineParams(IReadOnlySet<string> Engines, DateTimeOffset Now, TimeSpan Waited);

/// <param name="OnlyQueued">Cancel only a job that has not started (a closed tracker issue): otherwise <see cref="ConflictException"/>.</param>
public sealed record JobCancelParams(long JobId, DateTimeOffset Now, string? Reason = null, bool OnlyQueued = false);

public sealed record JobRetryParams(long JobId, DateTimeOffset Now);

public sealed record JobAnswerParams(long JobId, string Answer, DateTimeOffset Now);

public sealed record JobApproveParams(long JobId, bool Approve, DateTimeOffset Now, string? Reason = null);

/// <summary>
/// Registers (or re-registers) the worker row of <see cref="Name"/>. A previous row of that name still live by its state is
/// a worker that died without stopping when its heartbeat is older than <see cref="HeartbeatTimeout"/> (default 30 s) or
/// it is <see cref="KnownDeadPid"/> on this host: it is marked lost at its last heartbeat (a <c>worker.lost</c> event) and
/// its running jobs are released. Otherwise the name belongs to a live process and registering fails (a conflict).
/// </summary>
public sealed record WorkerRegisterParams(
    string Name,
    string Host,
    int Pid,
    int Slots,
    IReadOnlyList<string> Capabilities,
    DateTimeOffset Now,
    TimeSpan? HeartbeatTimeout = null,
    int? KnownDeadPid = null,
    double JitterUnit = 0.5);

/// <param name="Gate">Why the worker claims nothing now; null when it claims (the row keeps what the last heartbeat said).</param>
public sealed record WorkerHeartbeatParams(string Name, DateTimeOffset Now, string State, IReadOnlyList<long> Running, string? Gate = null);

public sealed record WorkerStopParams(string Name, DateTimeOffset Now);

public sealed record WorkerRescueParams(DateTimeOffset Now, TimeSpan HeartbeatTimeout, double JitterUnit);

public sealed record FleetState(bool Paused, DateTimeOffset? PausedAt)
{
    /// <summary>Engines whose gate is closed until a time (a provider's rate or usage limit).</summary>
    public IReadOnlyList<EngineGate> Gates { get; init; } = [];

    /// <summary><c>[fleet] max_running</c> as serve last stored it; 0: no cap.</summary>
    public int MaxRunning { get; init; }

    /// <summary>Jobs running now, fleet-wide.</summary>
    public long Running { get; init; }

    /// <summary>Engines whose failure-rate breaker is open or probing.</summary>
    public IReadOnlyList<Scheduling.EngineBreakerRecord> Breakers { get; init; } = [];
}

public sealed record EngineGate(string Engine, DateTimeOffset Until, string Reason);

public sealed record FleetPauseParams(bool Paused, DateTimeOffset Now);

/// <param name="Offset">Where <paramref name="Data"/> starts in the attempt's log file.</param>
/// <param name="MaxBytes">The attempt's log is kept in the store up to this many bytes; the rest is not stored.</param>
public sealed record LogAppendParams(long JobId, int Attempt, long Offset, byte[] Data, long MaxBytes);

/// <param name="Data">Stored bytes from the offset asked for (at most the limit asked for).</param>
/// <param name="StoredBytes">How much of the attempt's log the store holds in all.</param>
public sealed record LogChunkRecord(byte[] Data, long StoredBytes);

/// <param name="Cutoff">Terminal jobs last changed before this go, with their attempts, deps and events; so do events of no job.</param>
/// <param name="Batch">At most this many jobs (and this many job-less events) per call: one short transaction.</param>
public sealed record JobGcParams(DateTimeOffset Cutoff, int Batch, DateTimeOffset Now);

/// <param name="JobIds">The jobs deleted (their run files may go too).</param>
/// <param name="Events">Events deleted, those of the jobs and job-less ones.</param>
public sealed record JobGcResult(IReadOnlyList<long> JobIds, long Events);

public sealed record EventAppendParams(string Type, long? JobId, string? Worker, string DataJson, DateTimeOffset Now);

/// <summary>Events with id &gt; <c>AfterId</c>, oldest first, at most <c>Limit</c>; optionally of one job only.</summary>
public sealed record EventListParams(long AfterId = 0, int Limit = 500, long? JobId = null)
{
    /// <summary>Only events of these types; null or empty: every type.</summary>
    public IReadOnlyList<string>? Types { get; init; }

    /// <summary>Only events at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }
}

/// <summary>
/// Attempts that overlap [<c>From</c>, <c>To</c>): started before <c>To</c> and not ended by <c>From</c> (a running
/// attempt has not ended). Keyset paged in (job id, n) order: pass the last row's job id and n to get the next page.
/// </summary>
public sealed record AttemptWindowParams(DateTimeOffset From, DateTimeOffset To, int Limit = 1000, long AfterJobId = 0, int AfterN = 0);

/// <summary>One attempt's time span, where it ran, how it ended and what it cost (no log, no summary).</summary>
/// <param name="State">running, succeeded, failed, blocked, released, lost or cancelled.</param>
/// <param name="EndedAt">Null while the attempt runs.</param>
public sealed record AttemptSpanRecord(
    long JobId,
    int N,
    string Worker,
    DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt,
    string State,
    string? Class,
    decimal CostUsd);

/// <summary>One gateway request: metadata and usage only. <see cref="InputTokens"/> is fresh input (cache reads apart).</summary>
public sealed record SpendRecord(
    DateTimeOffset At,
    long? JobId,
    int? Attempt,
    string? Provider,
    string Model,
    string? UpstreamModel,
    string Outcome,
    int Status,
    long InputTokens,
    long CachedInputTokens,
    long OutputTokens,
    long ReasoningTokens,
    decimal? CostUsd,
    double LatencyMs,
    double? FirstTokenMs)
{
    /// <summary>Tokens written to a prompt cache (Anthropic), priced apart from fresh input.</summary>
    public long CacheWriteTokens { get; init; }
}

/// <summary>Spend summed over a group. <see cref="UnpricedRequests"/> counts requests with tokens but no price.</summary>
public sealed record SpendTotal(
    string Key,
    long Requests,
    long Failed,
    long InputTokens,
    long CachedInputTokens,
    long OutputTokens,
    long ReasoningTokens,
    decimal CostUsd,
    long UnpricedRequests)
{
    public long CacheWriteTokens { get; init; }
}
