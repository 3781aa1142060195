using Drover.Core;
using Drover.Core.Jobs;
using Drover.Core.Storage;

namespace Drover.Storage.Sql;

/// <summary>
/// Proposals (SPEC §12): jobs a succeeded attempt asked for with <c>DROVER_PROPOSE</c>, made in its completion's
/// transaction and blocked on <c>proposal</c> until a person accepts or rejects them. One job per key.
/// </summary>
public abstract partial class SqlJobStore
{
    private const string ProposalByKeySql = "SELECT job_id, rejected_at FROM proposals WHERE key = @key";
    private const string ProposalForgetSql = "DELETE FROM proposals WHERE key = @key AND rejected_at IS NOT NULL";
    private const string ProposalsSinceSql = "SELECT COUNT(*) FROM proposals WHERE proposed_at >= @since";

    private const string ProposalClaimKeySql =
        "INSERT INTO proposals (key, job_id, proposed_by, proposed_at) VALUES (@key, NULL, @by, @now) ON CONFLICT (key) DO NOTHING";

    private const string ProposalSetJobSql = "UPDATE proposals SET job_id = @job WHERE key = @key";

    private const string BlockAsProposalSql =
        "UPDATE jobs SET state = 'blocked', blocked_on = 'proposal', updated_at = @now WHERE id = @id AND state = 'queued'";

    private const string WaitingProposalsSql =
        "SELECT " + StoreRows.JobColumns + " FROM jobs WHERE state = 'blocked' AND blocked_on = 'proposal' ORDER BY id";

    private const string WaitingProposalRowsSql =
        "SELECT p.key, p.job_id, p.proposed_by, p.proposed_at FROM proposals p JOIN jobs j ON j.id = p.job_id " +
        "WHERE j.state = 'blocked' AND j.blocked_on = 'proposal'";

    private const string ProposalOfJobSql = "SELECT key FROM proposals WHERE job_id = @job";
    private const string ProposalRejectSql = "UPDATE proposals SET rejected_at = @now WHERE job_id = @job";

    /// <summary>Makes the batch's jobs (each blocked on <c>proposal</c>) in the completing attempt's transaction.</summary>
    private static void RecordProposals(SqlSession s, long proposedBy, ProposalBatch batch, DateTimeOffset now)
    {
        var dayStart = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        foreach (var draft in batch.Drafts)
        {
            if (ProposalDropReason(s, draft.Key, batch.Remember, now) is { } why)
            {
                AppendEvent(s, "proposal.dropped", proposedBy, null, new { key = draft.Key, title = draft.Spec.Title, reason = why }, now);
                continue;
            }

            if (s.Cmd(ProposalsSinceSql).P("@since", StoreRows.Ms(dayStart)).Scalar64() >= batch.MaxPerDay)
            {
                var reason = $"the day's cap of {batch.MaxPerDay} proposals ([proposals] max_per_day) is reached";
                AppendEvent(s, "proposal.dropped", proposedBy, null, new { key = draft.Key, title = draft.Spec.Title, reason }, now);
                continue;
            }

            // The key row first: a concurrent completion proposing the same key waits on it, then finds it taken.
            if (s.Cmd(ProposalClaimKeySql).P("@key", draft.Key).P("@by", proposedBy).P("@now", StoreRows.Ms(now)).ExecuteNonQuery() == 0)
            {
                AppendEvent(s, "proposal.dropped", proposedBy, null, new { key = draft.Key, title = draft.Spec.Title, reason = "already proposed" }, now);
                continue;
            }

            var job = InsertJob(s, new JobInsertParams(draft.Spec, draft.SpecJson, draft.SpecHash, now)).Job;
            s.Cmd(ProposalSetJobSql).P("@job", job.Id).P("@key", draft.Key).ExecuteNonQuery();
            s.Cmd(BlockAsProposalSql).P("@now", StoreRows.Ms(now)).P("@id", job.Id).ExecuteNonQuery();
            AppendEvent(s, "job.proposed", job.Id, null, new { key = draft.Key, proposed_by = proposedBy }, now);
        }
    }

    /// <summary>Why a key is not proposed now: it has a job, or was rejected within <paramref name="remember"/>; null: go on.</summary>
    private static string? ProposalDropReason(SqlSession s, string key, TimeSpan remember, DateTimeOffset now)
    {
        long? jobId, rejectedAt;
        using (var r = s.Cmd(ProposalByKeySql).P("@key", key).ExecuteReader())
        {
            if (!r.Read())
                return null;
            (jobId, rejectedAt) = (r.NullableInt64(0), r.NullableInt64(1));
        }

        if (rejectedAt is not { } rejected)
            return jobId is { } id ? $"already proposed as job {id}" : "already proposed";
        if (StoreRows.Time(rejected) + remember > now)
            return $"rejected at {StoreRows.Time(rejected):yyyy-MM-dd'T'HH:mm:ss'Z'}, remembered for {remember.TotalDays:0.##} days ([proposals] remember)";
        s.Cmd(ProposalForgetSql).P("@key", key).ExecuteNonQuery();
        return null;
    }

    public Task<IReadOnlyList<ProposalRecord>> ProposalListAsync(CancellationToken ct) =>
        Task.FromResult(Read<IReadOnlyList<ProposalRecord>>(
            s =>
            {
                var rows = new Dictionary<long, (string Key, long By, DateTimeOffset At)>();
                using (var r = s.Cmd(WaitingProposalRowsSql).ExecuteReader())
                {
                    while (r.Read())
                        rows[r.GetInt64(1)] = (r.GetString(0), r.GetInt64(2), StoreRows.Time(r.GetInt64(3)));
                }

                return [.. StoreRows.ReadJobs(s.Cmd(WaitingProposalsSql))
                    .Where(j => rows.ContainsKey(j.Id))
                    .Select(j => new ProposalRecord(j, rows[j.Id].Key, rows[j.Id].By, rows[j.Id].At))];
            },
            ct));

    public Task<JobRecord> ProposalDecideAsync(ProposalDecideParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s =>
            {
                var job = ReadJobOrNull(s, JobByIdSql, "@id", p.JobId)
                    ?? throw new JobSpecException("id", $"there is no job {p.JobId}: it is not a waiting proposal");
                var key = s.Cmd(ProposalOfJobSql).P("@job", job.Id).ExecuteScalar() as string;
                if (job.State != JobState.Blocked || job.BlockedOn != "proposal" || key is null)
                    throw new JobSpecException("id", $"job {job.Id} is not a waiting proposal (it is {job.State.ToWire()})");
                if (p.Accept)
                {
                    Requeue(s, job, job.Answers, p.Now);
                    AppendEvent(s, "job.proposal_accepted", job.Id, null, new { key }, p.Now);
                    return GetJob(s, job.Id);
                }

                var reason = "proposal rejected: " + (string.IsNullOrWhiteSpace(p.Reason) ? "no reason given" : p.Reason.Trim());
                var now = StoreRows.Ms(p.Now);
                s.Cmd(CancelSql).P("@reason", reason).P("@now", now).P("@id", job.Id).P("@from", job.State.ToWire()).ExecuteNonQuery();
                s.Cmd(ProposalRejectSql).P("@now", now).P("@job", job.Id).ExecuteNonQuery();
                AppendEvent(s, "job.cancelled", job.Id, null, new { from = job.State.ToWire(), reason, key }, p.Now);
                PropagateDepFailed(s, job.Id, job.EngineDone, p.Now);
                return GetJob(s, job.Id);
            },
            ct);
    }
}
