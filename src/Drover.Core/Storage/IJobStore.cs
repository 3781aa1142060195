using Drover.Core.Jobs;

namespace Drover.Core.Storage;

/// <summary>
/// The one storage seam (STYLE.md, after River's driver): one method and one params record per
/// operation, noun first. The current time is always passed in (<c>Now</c>) so tests control it.
/// Every state change by a worker is guarded by the job's epoch (fencing token): a write whose
/// epoch is stale, or whose job is no longer running, changes nothing.
/// Every transition appends its event in the same transaction.
/// Implementations must be safe for concurrent use from many threads and many processes.
/// </summary>
public interface IJobStore : IAsyncDisposable
{
    /// <summary>Creates or upgrades the schema (numbered migrations recorded in a table).</summary>
    Task MigrateAsync(CancellationToken ct);

    // ---- jobs: submit and read ----

    /// <summary>
    /// Inserts a job, resolving <c>after</c> (ids or keys) inside the transaction.
    /// Idempotency by key: same spec hash → the existing job (Existing); different spec while the
    /// existing job is queued → spec replaced (Superseded, event job.superseded); otherwise
    /// <see cref="ConflictException"/>. Unknown dependency or a cycle → <see cref="JobSpecException"/>
    /// with field "after"; nothing is written then.
    /// </summary>
    Task<JobInsertResult> JobInsertAsync(JobInsertParams p, CancellationToken ct);

    Task<JobRecord?> JobGetAsync(long id, CancellationToken ct);

    Task<JobRecord?> JobGetByKeyAsync(string key, CancellationToken ct);

    /// <summary>Newest first; <c>Cursor</c> is the last id of the previous page.</summary>
    Task<JobPage> JobListAsync(JobListParams p, CancellationToken ct);

    Task<IReadOnlyList<AttemptRecord>> AttemptListAsync(long jobId, CancellationToken ct);

    /// <summary>Counts per state (every state present, zero when none).</summary>
    Task<IReadOnlyDictionary<JobState, long>> JobCountsAsync(CancellationToken ct);

    /// <summary>The running job that holds <paramref name="lockKey"/>, if any.</summary>
    Task<long?> JobLockHolderAsync(string lockKey, CancellationToken ct);

    // ---- jobs: the worker path (fenced) ----

    /// <summary>
    /// Atomically claims up to <c>Max</c> eligible jobs (SPEC §5) for a worker: state running,
    /// epoch+1, attempt+1, lease until Now+LeaseTtl, an attempt row, event job.claimed.
    /// Nothing is claimed while the fleet is paused. Order: priority desc, next_eligible_at asc, id asc.
    /// </summary>
    Task<IReadOnlyList<JobRecord>> JobClaimAsync(JobClaimParams p, CancellationToken ct);

    /// <summary>Extends the lease. False when the lease is lost (epoch moved on or job not running).</summary>
    Task<bool> JobLeaseRenewAsync(JobLeaseRenewParams p, CancellationToken ct);

    /// <summary>Records a progress event under the lease. False when the lease is lost.</summary>
    Task<bool> JobProgressAsync(JobProgressParams p, CancellationToken ct);

    /// <summary>
    /// Ends the current attempt under the lease: succeeded, failed (retried with backoff when the
    /// class is in the job's retry policy and failures remain), blocked (question or approval), or
    /// released (graceful shutdown: requeued, no failure counted). A terminal failure or
    /// cancellation fails hard dependents with dep_failed. Fenced → <c>Applied=false</c>, nothing written.
    /// </summary>
    Task<JobCompleteResult> JobCompleteAsync(JobCompleteParams p, CancellationToken ct);

    /// <summary>Requeues (class lost) or fails every running job whose lease expired before Now.</summary>
    Task<IReadOnlyList<long>> JobRescueExpiredAsync(JobRescueParams p, CancellationToken ct);

    /// <summary>Fails (with their recorded class) the held jobs whose hold limit passed before Now, still undecided.</summary>
    Task<IReadOnlyList<long>> JobHeldExpireAsync(JobHeldExpireParams p, CancellationToken ct);

    /// <summary>
    /// Fails (class no_engine) every queued job that has been eligible since <c>EligibleBefore</c> or longer and whose
    /// engine is not in <c>Engines</c> (what live workers offer); its hard dependents fail with dep_failed.
    /// </summary>
    Task<IReadOnlyList<long>> JobFailWithoutEngineAsync(JobNoEngineParams p, CancellationToken ct);

    // ---- jobs: operator actions ----

    /// <summary>queued|running|blocked → cancelled. <see cref="ConflictException"/> when terminal.</summary>
    Task<JobRecord> JobCancelAsync(JobCancelParams p, CancellationToken ct);

    /// <summary>failed|cancelled → queued with failures reset. <see cref="ConflictException"/> otherwise.</summary>
    Task<JobRecord> JobRetryAsync(JobRetryParams p, CancellationToken ct);

    /// <summary>blocked on a question → queued, answer appended. <see cref="ConflictException"/> otherwise.</summary>
    Task<JobRecord> JobAnswerAsync(JobAnswerParams p, CancellationToken ct);

    /// <summary>blocked on approval → succeeded (approve) or failed. <see cref="ConflictException"/> otherwise.</summary>
    Task<JobRecord> JobApproveAsync(JobApproveParams p, CancellationToken ct);

    // ---- workers ----

    /// <summary>Registers (or re-registers) a worker row as idle; event worker.started.</summary>
    Task WorkerRegisterAsync(WorkerRegisterParams p, CancellationToken ct);

    /// <summary>Updates the heartbeat. False when the row was marked lost or stopped meanwhile.</summary>
    Task<bool> WorkerHeartbeatAsync(WorkerHeartbeatParams p, CancellationToken ct);

    /// <summary>Marks a worker stopped (graceful exit); event worker.stopped.</summary>
    Task WorkerStopAsync(WorkerStopParams p, CancellationToken ct);

    /// <summary>
    /// Marks workers silent for longer than <c>HeartbeatTimeout</c> as lost and releases their
    /// running jobs at once (class lost, retried or failed like an expired lease). Returns their names.
    /// </summary>
    Task<IReadOnlyList<string>> WorkerRescueLostAsync(WorkerRescueParams p, CancellationToken ct);

    Task<IReadOnlyList<WorkerRecord>> WorkerListAsync(CancellationToken ct);

    // ---- fleet, events, change notification ----

    Task<FleetState> FleetGetAsync(CancellationToken ct);

    Task FleetSetPausedAsync(FleetPauseParams p, CancellationToken ct);

    /// <summary>Stores <c>[fleet] max_running</c> (serve does at start): claims of every worker stay under it.</summary>
    Task FleetSetMaxRunningAsync(FleetMaxRunningParams p, CancellationToken ct);

    /// <summary>Clears an engine's failure-rate breaker and usage-limit gate; false when neither held it.</summary>
    Task<bool> EngineResumeAsync(EngineResumeParams p, CancellationToken ct);

    Task<long> EventAppendAsync(EventAppendParams p, CancellationToken ct);

    /// <summary>
    /// Deletes one batch of terminal jobs (succeeded, failed, cancelled) last changed before the cutoff, oldest
    /// first, with their attempts, dependency rows and events, and one batch of job-less events older than it.
    /// A job some unfinished job still depends on is kept. Call again until it deletes nothing.
    /// </summary>
    Task<JobGcResult> JobGcAsync(JobGcParams p, CancellationToken ct);

    // ---- attempt logs shipped by workers, so any host can serve them ----

    /// <summary>
    /// Stores a chunk of an attempt's log at its offset (again at the same offset: nothing changes). Returns false
    /// once the attempt's stored log has reached <see cref="LogAppendParams.MaxBytes"/>: the part that fits is kept,
    /// the rest is not.
    /// </summary>
    Task<bool> LogAppendAsync(LogAppendParams p, CancellationToken ct);

    /// <summary>Stored bytes of an attempt's log from <paramref name="offset"/>, up to <paramref name="maxBytes"/>.</summary>
    Task<LogChunkRecord> LogReadAsync(long jobId, int attempt, long offset, int maxBytes, CancellationToken ct);

    // ---- spend (gateway requests) ----

    /// <summary>Records one gateway request's metadata and usage.</summary>
    Task SpendAppendAsync(SpendRecord r, CancellationToken ct);

    /// <summary>Spend since <paramref name="since"/> summed per <paramref name="by"/> (provider | model | job | engine | repo | label), largest cost first.</summary>
    Task<IReadOnlyList<SpendTotal>> SpendTotalsAsync(DateTimeOffset since, string by, CancellationToken ct);

    /// <summary>Every gateway request of one job summed (key = the job id); zero rows sum to zeros.</summary>
    Task<SpendTotal> SpendForJobAsync(long jobId, CancellationToken ct);

    // ---- provider gates and budgets (gateway; shared by every process of a fleet) ----

    /// <summary>
    /// Checks the provider's circuit, quota and limits and, when the call may go, counts it (a half-open circuit admits
    /// one probe). Providers without limits and with a closed circuit are checked without a write.
    /// </summary>
    Task<ProviderAdmission> ProviderAdmitAsync(ProviderAdmitParams p, CancellationToken ct);

    /// <summary>Applies a call's verdict to the circuit and its real tokens to tpm; returns "open"/"closed" on a change.</summary>
    Task<string?> ProviderReportAsync(ProviderReportParams p, CancellationToken ct);

    /// <summary>Records the result of a health probe (GET /models) of a local provider.</summary>
    Task ProviderHealthAsync(string provider, bool healthy, string? detail, DateTimeOffset now, CancellationToken ct);

    /// <summary>Circuit, limits used and recent calls (last <paramref name="window"/>) of these providers.</summary>
    Task<IReadOnlyList<ProviderStatusRecord>> ProviderStatusAsync(IReadOnlyList<string> providers, DateTimeOffset now, TimeSpan window, CancellationToken ct);

    /// <summary>Holds a call's worst case against every scope, or refuses if any limited scope would go over.</summary>
    Task<BudgetReservation> BudgetReserveAsync(BudgetReserveParams p, CancellationToken ct);

    /// <summary>Releases the hold and books the call's real cost; returns thresholds newly crossed.</summary>
    Task<IReadOnlyList<BudgetAlert>> BudgetSettleAsync(BudgetSettleParams p, CancellationToken ct);

    /// <summary>Spent and held per scope key (missing keys have spent nothing).</summary>
    Task<IReadOnlyList<BudgetLine>> BudgetLinesAsync(IReadOnlyList<string> scopes, DateTimeOffset now, CancellationToken ct);

    // ---- alerts (fleet-wide: any number of processes may raise; the cooldown is kept by the store) ----

    /// <summary>
    /// Records a tool call waiting for a person (event <c>approval.requested</c>). Null when the job is no longer running
    /// that attempt (fenced: nothing is written).
    /// </summary>
    Task<ApprovalRecord?> ApprovalRequestAsync(ApprovalRequestParams p, CancellationToken ct);

    /// <summary>
    /// Decides a pending call (event <c>approval.decided</c>); an already decided one is returned unchanged with
    /// <c>Applied=false</c>. <see cref="NotFoundException"/> when there is no such call.
    /// </summary>
    Task<ApprovalDecideResult> ApprovalDecideAsync(ApprovalDecideParams p, CancellationToken ct);

    Task<ApprovalRecord?> ApprovalGetAsync(long id, CancellationToken ct);

    Task<IReadOnlyList<ApprovalRecord>> ApprovalListAsync(ApprovalListParams p, CancellationToken ct);

    /// <summary>Claims a due pending delivery of a host (SPEC §12), or null; bumps its epoch and try count.</summary>
    Task<DeliveryClaim?> DeliveryClaimAsync(DeliveryClaimParams p, CancellationToken ct);

    /// <summary>Records a claimed delivery's progress or end; false (nothing written) when the claim was superseded.</summary>
    Task<bool> DeliveryUpdateAsync(DeliveryUpdateParams p, CancellationToken ct);

    /// <summary>Asks for a job's delivery again; see <see cref="DeliveryRequeueParams"/>.</summary>
    Task<JobRecord> DeliveryRequeueAsync(DeliveryRequeueParams p, CancellationToken ct);

    /// <summary>Adds or replaces a schedule (SPEC §12); see <see cref="ScheduleUpsertParams"/>. Conflict when it exists and replacing was not asked.</summary>
    Task<ScheduleRecord> ScheduleUpsertAsync(ScheduleUpsertParams p, CancellationToken ct);

    /// <summary>Makes the store's config schedules match the config's, in one transaction.</summary>
    Task ScheduleSyncAsync(ScheduleSyncParams p, CancellationToken ct);

    /// <summary>Removes a schedule added by hand; one from the config is left alone (<see cref="ScheduleDeleteOutcome.FromConfig"/>).</summary>
    Task<ScheduleDeleteOutcome> ScheduleDeleteAsync(string name, CancellationToken ct);

    Task<ScheduleRecord?> ScheduleGetAsync(string name, CancellationToken ct);

    /// <summary>Every schedule by name, with its last job's state.</summary>
    Task<IReadOnlyList<ScheduleRecord>> ScheduleListAsync(CancellationToken ct);

    /// <summary>Claims one tick and submits its job atomically: exactly one job per tick across a fleet.</summary>
    Task<ScheduleFireResult> ScheduleFireAsync(ScheduleFireParams p, CancellationToken ct);

    /// <summary>Stores a new alert (and event <c>alert.raised</c>) or folds it into the same key's alert within the cooldown.</summary>
    Task<AlertRaiseResult> AlertRaiseAsync(AlertRaiseParams p, CancellationToken ct);

    Task<IReadOnlyList<AlertRecord>> AlertListAsync(AlertListParams p, CancellationToken ct);

    /// <summary>Acknowledges an alert (again: unchanged). <see cref="NotFoundException"/> when there is no such alert.</summary>
    Task<AlertRecord> AlertAckAsync(AlertAckParams p, CancellationToken ct);

    Task AlertDeliveredAsync(AlertDeliveredParams p, CancellationToken ct);

    /// <summary>
    /// Takes over the delivery of an alert nobody recorded a delivery for (its raiser died): true for exactly one
    /// caller, which then delivers it; false when a delivery was recorded or taken over meanwhile.
    /// </summary>
    Task<bool> AlertTakeOverDeliveryAsync(long id, DateTimeOffset now, CancellationToken ct);

    /// <summary>The event id the alert rules have read up to; 0 when they never ran (start at <see cref="EventLastIdAsync"/>).</summary>
    Task<long> AlertCursorGetAsync(CancellationToken ct);

    /// <summary>Moves the alert rules' cursor forward (never back).</summary>
    Task AlertCursorSetAsync(long cursor, CancellationToken ct);

    // ---- webhook deliveries (deduplicated by the forge's delivery id) ----

    /// <summary>
    /// Takes a delivery for handling: true when it is new, or an earlier delivery of the same id failed; false when it
    /// was already taken (a duplicate; nothing is written).
    /// </summary>
    Task<bool> WebhookDeliveryBeginAsync(WebhookDeliveryBeginParams p, CancellationToken ct);

    Task WebhookDeliveryEndAsync(WebhookDeliveryEndParams p, CancellationToken ct);

    /// <summary>The newest deliveries first.</summary>
    Task<IReadOnlyList<WebhookDeliveryRecord>> WebhookDeliveryListAsync(int limit, CancellationToken ct);

    /// <summary>Jobs waiting for a person to accept or reject them as proposals, oldest first.</summary>
    Task<IReadOnlyList<ProposalRecord>> ProposalListAsync(CancellationToken ct);

    /// <summary>Accepts (→ queued) or rejects (→ cancelled, the key remembered) a waiting proposal; conflict when it is not one.</summary>
    Task<JobRecord> ProposalDecideAsync(ProposalDecideParams p, CancellationToken ct);
    /// <summary>Takes or renews the status-echo lease; the cursor when held by <c>Holder</c>, null while another holds it.</summary>
    Task<long?> ForgeEchoAcquireAsync(ForgeEchoAcquireParams p, CancellationToken ct);

    /// <summary>Records the echo's progress, fenced by its lease: false when the holder lost it.</summary>
    Task<bool> ForgeEchoAdvanceAsync(ForgeEchoAdvanceParams p, CancellationToken ct);

    /// <summary>Events with id &gt; <c>AfterId</c>, oldest first, filtered by job, types and time when asked.</summary>
    Task<IReadOnlyList<EventRecord>> EventListAsync(EventListParams p, CancellationToken ct);

    /// <summary>Attempts overlapping a time window (for fleet reports), one keyset page in (job id, n) order.</summary>
    Task<IReadOnlyList<AttemptSpanRecord>> AttemptListBetweenAsync(AttemptWindowParams p, CancellationToken ct);

    /// <summary>The newest event's id (0 when there is none): where a reader wanting only what happens next starts.</summary>
    Task<long> EventLastIdAsync(CancellationToken ct);

    /// <summary>
    /// Completes when something may have changed (a write in this process, or a commit by another
    /// process), or after <paramref name="maxWait"/>. Spurious wake-ups are allowed.
    /// </summary>
    Task WaitForChangeAsync(TimeSpan maxWait, CancellationToken ct);
}
