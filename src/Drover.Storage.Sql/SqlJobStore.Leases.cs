using Drover.Core.Jobs;
using Drover.Core.Storage;

namespace Drover.Storage.Sql;

public abstract partial class SqlJobStore
{
    private const string FenceSql = "WHERE id = @id AND epoch = @epoch AND state = 'running'";

    private const string RenewSql = "UPDATE jobs SET lease_expires_at = @lease, updated_at = @now " + FenceSql;

    private const string FencedExistsSql = "SELECT 1 FROM jobs " + FenceSql;

    private const string ExpiredLeasesSql =
        "SELECT id, epoch FROM jobs WHERE state = 'running' AND lease_expires_at < @now ORDER BY id";

    public Task<bool> JobLeaseRenewAsync(JobLeaseRenewParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s => s.Cmd(RenewSql)
                .P("@lease", StoreRows.Ms(p.Now + p.LeaseTtl))
                .P("@now", StoreRows.Ms(p.Now))
                .P("@id", p.JobId)
                .P("@epoch", p.Epoch)
                .ExecuteNonQuery() == 1,
            concurrent: true,
            ct);
    }

    public Task<bool> JobProgressAsync(JobProgressParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s =>
            {
                if (s.Cmd(s.Dialect.ForUpdate(FencedExistsSql)).P("@id", p.JobId).P("@epoch", p.Epoch).ExecuteScalar() is null)
                    return false;
                AppendEvent(s, "job.progress", p.JobId, null, new { epoch = p.Epoch, text = p.Text }, p.Now);
                return true;
            },
            concurrent: true,
            ct);
    }

    public Task<JobCompleteResult> JobCompleteAsync(JobCompleteParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s =>
            {
                // Fencing: a stale epoch or a job no longer running finds no row, and nothing is written.
                if (ReadRunning(s, p.JobId, p.Epoch) is not { } job)
                    return new JobCompleteResult(false, null);
                var state = EndAttempt(s, job, p.Outcome, p.Result, p.Now, p.JitterUnit, attemptState: null);
                if (state == JobState.Succeeded && p.Proposals is { Drafts.Count: > 0 } proposals)
                    RecordProposals(s, job.Id, proposals, p.Now);
                return new JobCompleteResult(true, state);
            },
            // Proposals count against a fleet-wide daily cap: such a completion runs alone.
            concurrent: p.Proposals is not { Drafts.Count: > 0 },
            ct);
    }

    public Task<IReadOnlyList<long>> JobRescueExpiredAsync(JobRescueParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync<IReadOnlyList<long>>(
            s =>
            {
                var expired = new List<(long Id, long Epoch)>();
                using (var r = s.Cmd(ExpiredLeasesSql).P("@now", StoreRows.Ms(p.Now)).ExecuteReader())
                {
                    while (r.Read())
                        expired.Add((r.GetInt64(0), r.GetInt64(1)));
                }

                foreach (var (id, epoch) in expired)
                    LoseJob(s, id, epoch, "lease expired", p.Now, p.JitterUnit);
                return [.. expired.Select(e => e.Id)];
            },
            ct);
    }

    private const string LongQueuedSql =
        "SELECT id, engine FROM jobs WHERE state = 'queued' AND next_eligible_at <= @cutoff";

    private const string FailNoEngineSql =
        "UPDATE jobs SET state = 'failed', class = 'no_engine', reason = @reason, held_until = NULL, updated_at = @now " +
        "WHERE id = @id AND state = 'queued' RETURNING engine_done";

    public Task<IReadOnlyList<long>> JobFailWithoutEngineAsync(JobNoEngineParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync<IReadOnlyList<long>>(
            s =>
            {
                var stranded = new List<(long Id, string Engine)>();
                using (var r = s.Cmd(LongQueuedSql).P("@cutoff", StoreRows.Ms(p.Now - p.Waited)).ExecuteReader())
                {
                    while (r.Read())
                    {
                        if (!p.Engines.Contains(r.GetString(1)))
                            stranded.Add((r.GetInt64(0), r.GetString(1)));
                    }
                }

                var failed = new List<long>();
                foreach (var (id, engine) in stranded)
                {
                    var reason = $"no live worker has engine {engine} (waited {Human(p.Waited)})";
                    using var r = s.Cmd(FailNoEngineSql).P("@reason", reason).P("@now", StoreRows.Ms(p.Now)).P("@id", id).ExecuteReader();
                    if (!r.Read())
                        continue;
                    var engineDone = r.GetInt64(0) != 0;
                    r.Close();
                    AppendEvent(s, "job.failed", id, null, new { @class = FailureClass.NoEngine, reason }, p.Now);
                    PropagateDepFailed(s, id, engineDone, p.Now);
                    failed.Add(id);
                }

                return failed;
            },
            ct);
    }

    private static string Human(TimeSpan t) =>
        t.TotalHours >= 1 && t.Minutes == 0 && t.Seconds == 0 ? $"{(int)t.TotalHours}h"
        : t.TotalMinutes >= 1 && t.Seconds == 0 ? $"{(int)t.TotalMinutes}m"
        : $"{(int)t.TotalSeconds}s";

    /// <summary>The running attempt is gone (lease expired, worker lost): a failed attempt of class lost.</summary>
    private static void LoseJob(SqlSession s, long id, long epoch, string reason, DateTimeOffset now, double jitter)
    {
        if (ReadRunning(s, id, epoch) is not { } job)
            return;
        AppendEvent(s, "job.lost", id, job.Worker, new { epoch, attempt = job.Attempt, reason }, now);
        EndAttempt(s, job, AttemptOutcome.Failure(FailureClass.Lost, reason), new AttemptResult(), now, jitter, attemptState: "lost");
    }
}
