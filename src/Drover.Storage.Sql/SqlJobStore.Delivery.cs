using Drover.Core;
using Drover.Core.Jobs;
using Drover.Core.Storage;

namespace Drover.Storage.Sql;

/// <summary>
/// Delivery (SPEC §12): a succeeded job's branch pushed and its pull request opened, as a small queue of its own on the
/// job's row. Only the host holding the branch claims it; a claim bumps <c>delivery_epoch</c>, which fences every write
/// of that claim, and holds a lease so a host that dies mid-delivery leaves it to be claimed again.
/// </summary>
public abstract partial class SqlJobStore
{
    private const string DeliveryDueSql =
        "SELECT id, delivery_mode, delivery_tries, delivery_pr, delivery_url, delivery_epoch FROM jobs " +
        "WHERE delivery = 'pending' AND delivery_host = @host AND delivery_next_at <= @now " +
        "AND (delivery_lease IS NULL OR delivery_lease <= @now) ORDER BY delivery_next_at, id LIMIT 1";

    private const string DeliveryReleaseSql =
        "UPDATE jobs SET delivery_lease = NULL WHERE delivery = 'pending' AND delivery_host = @host AND delivery_lease IS NOT NULL";

    private const string DeliveryTakeSql =
        "UPDATE jobs SET delivery_epoch = @epoch, delivery_tries = delivery_tries + 1, delivery_lease = @lease " +
        "WHERE id = @id AND delivery = 'pending' AND delivery_epoch = @was";

    private const string DeliveryUpdateSql =
        "UPDATE jobs SET delivery = @state, delivery_reason = @reason, delivery_pr = COALESCE(@pr, delivery_pr), " +
        "delivery_url = COALESCE(@url, delivery_url), delivery_next_at = @next, " +
        "delivery_lease = CASE WHEN @keep = 1 THEN delivery_lease ELSE NULL END, updated_at = @now " +
        "WHERE id = @id AND delivery = 'pending' AND delivery_epoch = @epoch";

    private const string DeliveryNextAtSql = "SELECT delivery_next_at FROM jobs WHERE id = @id";

    private const string DeliveryAskSql =
        "UPDATE jobs SET delivery = @delivery, delivery_mode = @mode, delivery_host = @host, delivery_tries = 0, " +
        "delivery_next_at = @now, delivery_lease = NULL, delivery_reason = NULL WHERE id = @id";

    private const string DeliveryRequeueReadSql =
        "SELECT state, class, delivery, delivery_mode, delivery_host, delivery_url FROM jobs WHERE id = @id";

    public Task<DeliveryClaim?> DeliveryClaimAsync(DeliveryClaimParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s =>
            {
                if (p.ReleaseHeld)
                    s.Cmd(DeliveryReleaseSql).P("@host", p.Host).ExecuteNonQuery();
                long id, was;
                string mode;
                int tries;
                long? pr;
                string? url;
                using (var r = s.Cmd(DeliveryDueSql).P("@host", p.Host).P("@now", StoreRows.Ms(p.Now)).ExecuteReader())
                {
                    if (!r.Read())
                        return null;
                    (id, mode, tries, pr, url, was) = (r.GetInt64(0), r.GetString(1), r.GetInt32(2), r.NullableInt64(3), r.NullableString(4), r.GetInt64(5));
                }

                s.Cmd(DeliveryTakeSql)
                    .P("@epoch", was + 1)
                    .P("@lease", StoreRows.Ms(p.Now + p.Lease))
                    .P("@id", id)
                    .P("@was", was)
                    .ExecuteNonQuery();
                return new DeliveryClaim(id, was + 1, mode, tries + 1, pr, url);
            },
            ct);
    }

    public Task<bool> DeliveryUpdateAsync(DeliveryUpdateParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.State is not ("pending" or "delivered" or "failed"))
            throw new ArgumentException($"unknown delivery state {p.State}", nameof(p));
        return WriteAsync(
            s =>
            {
                // Progress keeps the claim's lease and due time; a retry frees the claim until NextAt; an end clears both.
                var progress = p.State == "pending" && p.NextAt is null;
                var next = p.State == "pending"
                    ? p.NextAt is { } at ? StoreRows.Ms(at) : s.Cmd(DeliveryNextAtSql).P("@id", p.JobId).ExecuteScalar() as long?
                    : null;
                var applied = s.Cmd(DeliveryUpdateSql)
                    .P("@state", p.State)
                    .P("@reason", p.Reason)
                    .P("@pr", p.PullNumber)
                    .P("@url", p.Url)
                    .P("@next", next)
                    .P("@keep", progress ? 1 : 0)
                    .P("@now", StoreRows.Ms(p.Now))
                    .P("@id", p.JobId)
                    .P("@epoch", p.Epoch)
                    .ExecuteNonQuery() == 1;
                if (!applied)
                    return false;
                var type = p.State switch
                {
                    "delivered" => "delivery.delivered",
                    "failed" => "delivery.failed",
                    _ => progress ? "delivery.progress" : "delivery.retrying",
                };
                AppendEvent(s, type, p.JobId, null, new { url = p.Url, pull = p.PullNumber, reason = p.Reason, next_at = p.NextAt }, p.Now);
                return true;
            },
            ct);
    }

    public Task<JobRecord> DeliveryRequeueAsync(DeliveryRequeueParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s =>
            {
                string state;
                string? cls, delivery, mode, host, url;
                using (var r = s.Cmd(DeliveryRequeueReadSql).P("@id", p.JobId).ExecuteReader())
                {
                    if (!r.Read())
                        throw new NotFoundException($"job {p.JobId} not found");
                    (state, cls, delivery, mode, host, url) =
                        (r.GetString(0), r.NullableString(1), r.NullableString(2), r.NullableString(3), r.NullableString(4), r.NullableString(5));
                }

                var wanted = p.Mode ?? mode ?? "pr";
                var draftOfFailure = state == "failed" && cls == FailureClass.VerifyFailed && wanted == "pr_draft";
                if (state != "succeeded" && !draftOfFailure)
                    throw new ConflictException($"job {p.JobId} is {state}: only a succeeded job's branch is delivered (or a draft of one that failed verify)");
                if (host is null)
                    throw new ConflictException($"job {p.JobId} has no branch host on record: it ended before deliveries were recorded");
                if (delivery == "pending")
                    throw new ConflictException($"job {p.JobId}'s delivery is in progress");
                if (delivery == "delivered" && mode == wanted)
                    throw new ConflictException($"job {p.JobId} is already delivered ({url})");
                AskDelivery(s, p.JobId, wanted, host, p.Now);
                return GetJob(s, p.JobId);
            },
            ct);
    }

    /// <summary>Records the branch's host and, with a mode, a pending delivery due now (event <c>delivery.pending</c>).</summary>
    private static void AskDelivery(SqlSession s, long jobId, string? mode, string host, DateTimeOffset now)
    {
        s.Cmd(DeliveryAskSql)
            .P("@delivery", mode is null ? null : "pending")
            .P("@mode", mode)
            .P("@host", host)
            .P("@now", StoreRows.Ms(now))
            .P("@id", jobId)
            .ExecuteNonQuery();
        if (mode is not null)
            AppendEvent(s, "delivery.pending", jobId, null, new { mode, host }, now);
    }

    /// <summary>At an attempt's end: what <see cref="AttemptResult.Deliver"/> asks given where the job landed.</summary>
    private static void AskDeliveryAtEnd(SqlSession s, long jobId, JobState state, string? cls, DeliveryRequest? ask, DateTimeOffset now)
    {
        if (ask is null)
            return;
        if (state == JobState.Succeeded)
            AskDelivery(s, jobId, ask.Mode == "none" ? null : ask.Mode, ask.Host, now);
        else if (state == JobState.Failed && cls == FailureClass.VerifyFailed && ask.DraftOnVerifyFailure)
            AskDelivery(s, jobId, "pr_draft", ask.Host, now);
    }
}
