using Microsoft.Extensions.Logging;

namespace Drover.Server;

/// <summary>Every log message of the server, with stable event ids (STYLE.md).</summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "worker {Worker} started with {Slots} slots")]
    public static partial void WorkerStarted(ILogger logger, string worker, int slots);

    [LoggerMessage(1001, LogLevel.Information, "worker {Worker} stopping: waiting up to {Grace} for {Running} running attempts")]
    public static partial void WorkerDraining(ILogger logger, string worker, TimeSpan grace, int running);

    [LoggerMessage(1002, LogLevel.Information, "worker {Worker} stopped")]
    public static partial void WorkerStopped(ILogger logger, string worker);

    [LoggerMessage(1003, LogLevel.Warning, "worker {Worker} was marked lost by the fleet; re-registering")]
    public static partial void WorkerMarkedLost(ILogger logger, string worker);

    [LoggerMessage(1010, LogLevel.Information, "job {JobId} attempt {Attempt} started on {Worker}")]
    public static partial void AttemptStarted(ILogger logger, long jobId, int attempt, string worker);

    [LoggerMessage(1011, LogLevel.Information, "job {JobId} attempt {Attempt} ended: {Outcome} {Class}")]
    public static partial void AttemptEnded(ILogger logger, long jobId, int attempt, string outcome, string? @class);

    [LoggerMessage(1012, LogLevel.Warning, "job {JobId} epoch {Epoch}: lease lost; the agent was stopped and nothing was recorded")]
    public static partial void LeaseLost(ILogger logger, long jobId, long epoch);

    [LoggerMessage(1013, LogLevel.Error, "job {JobId} attempt {Attempt} failed inside the worker")]
    public static partial void AttemptCrashed(ILogger logger, Exception ex, long jobId, int attempt);

    [LoggerMessage(1020, LogLevel.Warning, "store call failed in {Loop}; retrying")]
    public static partial void LoopError(ILogger logger, Exception ex, string loop);

    [LoggerMessage(1030, LogLevel.Information, "reaper requeued or failed {Count} jobs with expired leases")]
    public static partial void Rescued(ILogger logger, int count);

    [LoggerMessage(1032, LogLevel.Warning, "reaper failed {Count} jobs whose engine no live worker has had for {Waited}")]
    public static partial void NoEngine(ILogger logger, int count, TimeSpan waited);

    [LoggerMessage(5100, LogLevel.Warning, "reaper failed {Count} held jobs whose engine's health was still unknown at the hold limit")]
    public static partial void HeldExpired(ILogger logger, int count);

    [LoggerMessage(1031, LogLevel.Warning, "reaper marked worker {Worker} lost")]
    public static partial void WorkerLost(ILogger logger, string worker);

    [LoggerMessage(1200, LogLevel.Warning, "refused a cookie-authenticated {Method} {Path} from origin {Origin}")]
    public static partial void CrossOriginRefused(ILogger logger, string method, string? path, string origin);

    [LoggerMessage(1201, LogLevel.Warning, "refused a dashboard login: the link is invalid or expired")]
    public static partial void LoginRefused(ILogger logger);

    [LoggerMessage(1202, LogLevel.Information, "dashboard login from {Remote}")]
    public static partial void LoginAccepted(ILogger logger, string? remote);

    [LoggerMessage(1040, LogLevel.Warning, "alert {Id}: {Message}")]
    public static partial void AlertRaised(ILogger logger, long id, string message);

    [LoggerMessage(1041, LogLevel.Information, "alert {Id} delivered to {Sink} ({Tries} tries)")]
    public static partial void AlertDelivered(ILogger logger, long id, string sink, int tries);

    [LoggerMessage(1042, LogLevel.Warning, "alert {Id} not delivered to {Sink} after {Tries} tries: {Why}")]
    public static partial void AlertDeliveryFailed(ILogger logger, long id, string sink, int tries, string why);

    [LoggerMessage(1043, LogLevel.Warning, "alert sink {Sink} has no usable URL (its environment variable or secret is unset, or not http(s)); it is skipped")]
    public static partial void AlertSinkUnusable(ILogger logger, string sink);

    [LoggerMessage(1044, LogLevel.Warning, "could not record the delivery of alert {Id}")]
    public static partial void AlertStoreFailed(ILogger logger, Exception ex, long id);

    [LoggerMessage(1046, LogLevel.Information, "alert {Id} was never delivered (its server stopped first): delivering it now")]
    public static partial void AlertTakenOver(ILogger logger, long id);

    [LoggerMessage(1045, LogLevel.Warning, "alert rules: store call failed; retrying")]
    public static partial void AlertMonitorError(ILogger logger, Exception ex);

    [LoggerMessage(5020, LogLevel.Warning, "worker {Worker} claims nothing: {Reason}")]
    public static partial void WorkerGated(ILogger logger, string worker, string reason);

    [LoggerMessage(5021, LogLevel.Information, "worker {Worker} claims again")]
    public static partial void WorkerUngated(ILogger logger, string worker);

    [LoggerMessage(5022, LogLevel.Error, "worker {Worker} degraded: {Reason}; its attempts are requeued without counting and it claims nothing until a probe write succeeds")]
    public static partial void WorkerDegraded(ILogger logger, string worker, string reason);

    [LoggerMessage(5023, LogLevel.Information, "worker {Worker} recovered: its run files can be written again")]
    public static partial void WorkerRecovered(ILogger logger, string worker);

    [LoggerMessage(5024, LogLevel.Information, "removed {Count} worktrees of ended or deleted jobs under {Dir}")]
    public static partial void WorktreesSwept(ILogger logger, int count, string dir);

    [LoggerMessage(5025, LogLevel.Warning, "could not remove the worktree of job {JobId}")]
    public static partial void WorktreeRemoveFailed(ILogger logger, Exception ex, long jobId);

    [LoggerMessage(5060, LogLevel.Warning, "job {JobId} attempt {Attempt}: could not check its budgets; checking again on its next usage")]
    public static partial void BudgetCheckFailed(ILogger logger, Exception ex, long jobId, int attempt);

    [LoggerMessage(5061, LogLevel.Warning, "job {JobId} attempt {Attempt}: could not book its reported usage against its budgets")]
    public static partial void BudgetBookFailed(ILogger logger, Exception ex, long jobId, int attempt);

    [LoggerMessage(5080, LogLevel.Information, "alert {Id} resolved: job {Job} succeeded")]
    public static partial void AlertResolved(ILogger logger, long id, string job);

    [LoggerMessage(5200, LogLevel.Warning, "{Problem}: gateway providers whose key is a secret answer 503, and jobs that name a secret fail, until it is repaired (drover doctor checks it)")]
    public static partial void SecretsFileUnusable(ILogger logger, string problem);

    [LoggerMessage(5201, LogLevel.Warning, "{Count} requests from {Remote} failed bearer authentication since the last report (latest: {Method} {Path})")]
    public static partial void AuthFailed(ILogger logger, int count, string remote, string method, string? path);

    [LoggerMessage(5202, LogLevel.Warning, "{Remote} failed bearer authentication over {Limit} times within a minute: its requests that fail authentication get 429 for {RetryAfterSeconds} s (a right token still gets in)")]
    public static partial void AuthThrottled(ILogger logger, string remote, int limit, int retryAfterSeconds);

    [LoggerMessage(5203, LogLevel.Information, "event stream: dropped a subscriber that fell {Backlog} events behind (it resumes from its Last-Event-ID)")]
    public static partial void StreamSubscriberDropped(ILogger logger, int backlog);

    [LoggerMessage(5204, LogLevel.Warning, "refused a stream: {Open} streams are open, [server] max_streams is {Max}")]
    public static partial void StreamRefused(ILogger logger, int open, int max);

    [LoggerMessage(5205, LogLevel.Warning, "event stream reader: store call failed; retrying")]
    public static partial void StreamReaderError(ILogger logger, Exception ex);
    [LoggerMessage(5220, LogLevel.Warning, "serving plain HTTP on {Address} beyond loopback (--insecure-bind): the bearer token and dashboard session cookies cross the network in clear text; set [server] tls_cert and tls_key to serve HTTPS")]
    public static partial void InsecureBind(ILogger logger, string address);

    [LoggerMessage(5221, LogLevel.Warning, "home {Home} was open to other users ({Mode}); tightened it and its secret files to owner-only")]
    public static partial void HomeTightened(ILogger logger, string home, string mode);

    [LoggerMessage(5222, LogLevel.Warning, "dashboard login refused: that link was already used")]
    public static partial void LoginReplayed(ILogger logger);

    [LoggerMessage(5223, LogLevel.Information, "dashboard logout: every browser session was ended (generation {Generation})")]
    public static partial void LoggedOut(ILogger logger, long generation);
    [LoggerMessage(5260, LogLevel.Information, "job {JobId} attempt {Attempt}: tool call {Id} {Pattern} waits for a person")]
    public static partial void ApprovalAsked(ILogger logger, long jobId, int attempt, long id, string pattern);

    [LoggerMessage(5261, LogLevel.Information, "tool call {Id} of job {JobId}: {Decision} by {By}")]
    public static partial void ApprovalDecided(ILogger logger, long id, long jobId, string decision, string by);

    [LoggerMessage(5262, LogLevel.Information, "job {JobId} attempt {Attempt}: tool {Tool} {Action} by rule {Rule}")]
    public static partial void ApprovalByRule(ILogger logger, long jobId, int attempt, string tool, string action, string rule);

    [LoggerMessage(5263, LogLevel.Warning, "tool approval request refused: {Reason}")]
    public static partial void ApprovalRequestRefused(ILogger logger, string reason);

    [LoggerMessage(5264, LogLevel.Information, "alert {Id} resolved: tool call {Call} was decided")]
    public static partial void ApprovalAlertResolved(ILogger logger, long id, long call);

    [LoggerMessage(5300, LogLevel.Information, "schedule {Name}: tick {Tick} submitted job {JobId}")]
    public static partial void ScheduleFired(ILogger logger, string name, DateTimeOffset tick, long jobId);

    [LoggerMessage(5301, LogLevel.Information, "schedule {Name}: tick {Tick} skipped ({Reason})")]
    public static partial void ScheduleSkipped(ILogger logger, string name, DateTimeOffset tick, string reason);

    [LoggerMessage(5302, LogLevel.Warning, "schedule {Name}: tick {Tick} cannot submit its job: {Reason}")]
    public static partial void ScheduleFailed(ILogger logger, string name, DateTimeOffset tick, string reason);

    [LoggerMessage(5303, LogLevel.Information, "{Count} schedules from drover.toml synced into the store")]
    public static partial void SchedulesSynced(ILogger logger, int count);

    [LoggerMessage(5304, LogLevel.Error, "schedule loop pass failed")]
    public static partial void ScheduleLoopFailed(ILogger logger, Exception e);

    [LoggerMessage(5320, LogLevel.Warning, "{Kind} webhook refused from {Remote}: signature missing or invalid")]
    public static partial void WebhookBadSignature(ILogger logger, string kind, string remote);

    [LoggerMessage(5321, LogLevel.Warning, "{Kind} webhook refused: body larger than {Max} bytes")]
    public static partial void WebhookTooLarge(ILogger logger, string kind, int max);

    [LoggerMessage(5322, LogLevel.Information, "{Kind} webhook {Event} delivery {Delivery}: {Outcome}")]
    public static partial void WebhookHandled(ILogger logger, string kind, string @event, string delivery, string outcome);

    [LoggerMessage(5323, LogLevel.Information, "issue {Reference}: job {JobId} {Outcome}")]
    public static partial void WebhookIssueJob(ILogger logger, string reference, long jobId, string outcome);

    [LoggerMessage(5324, LogLevel.Warning, "issue {Reference} makes no job: {Reason}")]
    public static partial void WebhookIssueRejected(ILogger logger, string reference, string reason);

    [LoggerMessage(5325, LogLevel.Information, "issue {Reference} was closed: its queued job {JobId} is cancelled")]
    public static partial void WebhookIssueCancelled(ILogger logger, string reference, long jobId);

    [LoggerMessage(5400, LogLevel.Information, "job {JobId}: pushed {Branch} to {Remote}")]
    public static partial void DeliveryPushed(ILogger logger, long jobId, string branch, string remote);

    [LoggerMessage(5401, LogLevel.Information, "job {JobId}: delivered as {Url}")]
    public static partial void DeliveryOpened(ILogger logger, long jobId, string url);

    [LoggerMessage(5402, LogLevel.Warning, "job {JobId}: delivery try {Try} failed, trying again at {NextAt}: {Reason}")]
    public static partial void DeliveryRetrying(ILogger logger, long jobId, int @try, DateTimeOffset nextAt, string reason);

    [LoggerMessage(5403, LogLevel.Warning, "job {JobId}: delivery failed: {Reason}")]
    public static partial void DeliveryFailed(ILogger logger, long jobId, string reason);

    [LoggerMessage(5404, LogLevel.Error, "delivery loop error")]
    public static partial void DeliveryLoopError(ILogger logger, Exception ex);

    [LoggerMessage(5380, LogLevel.Information, "job {JobId} attempt {Attempt} did not succeed: its {Count} proposals are dropped")]
    public static partial void ProposalsOfFailedAttempt(ILogger logger, long jobId, int attempt, int count);

    [LoggerMessage(5381, LogLevel.Warning, "job {JobId} proposed \"{Title}\", which makes no job: {Reason}")]
    public static partial void ProposalInvalid(ILogger logger, long jobId, string title, string reason);

    [LoggerMessage(5382, LogLevel.Warning, "job {JobId}: its {Count} proposals are dropped: this worker reads no proposals")]
    public static partial void ProposalsUnread(ILogger logger, long jobId, int count);

    [LoggerMessage(5360, LogLevel.Information, "tracker {Tracker}: {Seen} issues listed; {Submitted} jobs submitted, {Updated} updated, {Cancelled} cancelled")]
    public static partial void TrackerPolled(ILogger logger, string tracker, int seen, int submitted, int updated, int cancelled);

    [LoggerMessage(5361, LogLevel.Warning, "tracker {Tracker}: poll failed: {Message}")]
    public static partial void TrackerPollFailed(ILogger logger, string tracker, string message);

    [LoggerMessage(5362, LogLevel.Information, "tracker {Tracker}: no [[forges]] entry of kind {Kind}, so no polling or status comments; webhooks only")]
    public static partial void TrackerWebhooksOnly(ILogger logger, string tracker, string kind);

    [LoggerMessage(5363, LogLevel.Warning, "status echo for job {JobId} on {Reference} skipped: {Message}")]
    public static partial void EchoSkipped(ILogger logger, long jobId, string reference, string message);

    [LoggerMessage(5364, LogLevel.Warning, "status echo delayed {Wait}: {Message}")]
    public static partial void EchoDelayed(ILogger logger, string message, TimeSpan wait);

    [LoggerMessage(5365, LogLevel.Warning, "status echo: store call failed; retrying")]
    public static partial void EchoLoopFailed(ILogger logger, Exception ex);

    [LoggerMessage(5405, LogLevel.Information, "follow-up job {JobId} queued for the pull request of job {Root}: {What}")]
    public static partial void FollowUpQueued(ILogger logger, long jobId, long root, string what);

    [LoggerMessage(5406, LogLevel.Information, "the pull request of job {Root} had its {Count} follow-ups: no more are queued")]
    public static partial void FollowUpCapped(ILogger logger, long root, int count);
}
