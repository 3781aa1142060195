using Drover.Core.Jobs;
using Drover.Core.Scheduling;
using Drover.Core.Storage;

namespace Drover.Storage.Sql;

/// <summary>
/// Held verdicts (SPEC §5): a final failure the engine may have caused waits, queued but not claimed, until the
/// engine's health is known. Rendered in the transactions that record attempts in the breaker: a trip (or
/// <c>resume --engine</c>) gives the held jobs back to the queue with their retries; an attempt that shows the
/// engine works fails them as they would have failed; the hold limit fails those still undecided.
/// </summary>
public abstract partial class SqlJobStore
{
    // Another job of the engine that can still run, and so show whether the engine is broken (not one waiting on this job).
    private const string OthersCanTellSql =
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM jobs o WHERE o.engine = @engine AND o.id <> @id " +
        "AND (o.state = 'running' OR o.state = 'queued' AND o.held_until IS NULL) " +
        "AND NOT EXISTS (SELECT 1 FROM job_deps d WHERE d.job_id = o.id AND d.dep_id = @id)) THEN 1 ELSE 0 END";

    private const string HeldColumns = "id, class, reason, attempt, failures, engine_done FROM jobs WHERE state = 'queued' AND held_until IS NOT NULL";

    private const string HeldOfEngineSql = "SELECT " + HeldColumns + " AND engine = @engine ORDER BY id";

    private const string HeldExpiredSql = "SELECT " + HeldColumns + " AND held_until <= @now ORDER BY id";

    private const string FailHeldSql =
        "UPDATE jobs SET state = 'failed', held_until = NULL, updated_at = @now WHERE id = @id AND state = 'queued' AND held_until IS NOT NULL";

    // On a trip the breaker's window gives the retries back (RefundEarlier); on resume the held failure is given back here.
    private const string ReleaseHeldSql =
        "UPDATE jobs SET held_until = NULL, next_eligible_at = @now, updated_at = @now " +
        "WHERE id = @id AND state = 'queued' AND held_until IS NOT NULL";

    private const string ReleaseHeldRefundSql =
        "UPDATE jobs SET held_until = NULL, failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END, " +
        "next_eligible_at = @now, updated_at = @now WHERE id = @id AND state = 'queued' AND held_until IS NOT NULL";

    private sealed record HeldJob(long Id, string? Class, string? Reason, int Attempt, int Failures, bool EngineDone);

    /// <summary>
    /// Whether a final failure of class <paramref name="cls"/> is held rather than rendered: the engine may have caused it
    /// and another job of the engine can still show whether it did.
    /// </summary>
    private static bool HoldVerdict(SqlSession s, RunningJob job, string cls) =>
        EngineBreaker.Applies(job.Engine) && EngineBreaker.EngineCaused(cls)
        && s.Cmd(OthersCanTellSql).P("@engine", job.Engine).P("@id", job.Id).Scalar64() != 0;

    private static List<HeldJob> ReadHeld(DbCommand cmd)
    {
        var list = new List<HeldJob>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add(new HeldJob(
                r.GetInt64(0), r.NullableString(1), r.NullableString(2), r.GetInt32(3), r.GetInt32(4), r.GetInt64(5) != 0));
        }

        return list;
    }

    /// <summary>The engine proved healthy (or nothing is left to show otherwise): its held jobs fail as they would have.</summary>
    private static List<long> FailHeld(SqlSession s, string engine, string verdict, DateTimeOffset now) =>
        FailHeld(s, ReadHeld(s.Cmd(HeldOfEngineSql).P("@engine", engine)), verdict, now);

    private static List<long> FailHeld(SqlSession s, List<HeldJob> held, string verdict, DateTimeOffset now)
    {
        var failed = new List<long>();
        foreach (var job in held)
        {
            if (s.Cmd(FailHeldSql).P("@now", StoreRows.Ms(now)).P("@id", job.Id).ExecuteNonQuery() == 0)
                continue;
            var cls = job.Class ?? FailureClass.Unknown;
            AppendEvent(s, "job.failed", job.Id, null, new { @class = cls, reason = job.Reason, attempt = job.Attempt, failures = job.Failures, verdict }, now);
            PropagateDepFailed(s, job.Id, job.EngineDone, now);
            failed.Add(job.Id);
        }

        return failed;
    }

    /// <summary>The engine was broken (its breaker tripped, or the operator says so): held jobs queue like the rest.</summary>
    private static List<long> ReleaseHeld(SqlSession s, string engine, bool refund, string why, DateTimeOffset now)
    {
        var released = new List<long>();
        foreach (var job in ReadHeld(s.Cmd(HeldOfEngineSql).P("@engine", engine)))
        {
            if (s.Cmd(refund ? ReleaseHeldRefundSql : ReleaseHeldSql).P("@now", StoreRows.Ms(now)).P("@id", job.Id).ExecuteNonQuery() == 0)
                continue;
            AppendEvent(s, "job.released", job.Id, null, new { @class = job.Class, reason = why, next_eligible_at = now, breaker = engine }, now);
            released.Add(job.Id);
        }

        return released;
    }

    public Task<IReadOnlyList<long>> JobHeldExpireAsync(JobHeldExpireParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync<IReadOnlyList<long>>(
            s =>
            {
                var expired = ReadHeld(s.Cmd(HeldExpiredSql).P("@now", StoreRows.Ms(p.Now)));
                if (expired.Count == 0)
                {
                    s.Quiet = true;
                    return [];
                }

                return FailHeld(s, expired, $"undecided after {Human(EngineBreaker.HoldLimit)}", p.Now);
            },
            ct);
    }
}
