using Drover.Core.Jobs;
using Drover.Core.Scheduling;
using Drover.Core.Storage;

namespace Drover.Storage.Sql;

/// <summary>The failure-rate breaker's rows: the rule is <see cref="EngineBreaker"/>; the store only records it.</summary>
public abstract partial class SqlJobStore
{
    private const string BreakerColumns = "engine, recent, state, trips, until, reason, probe_job";

    private const string BreakerEnsureSql =
        "INSERT INTO engine_breakers (engine, recent, state, trips, updated_at) VALUES (@engine, '', 'closed', 0, @now) " +
        "ON CONFLICT (engine) DO NOTHING";

    private const string BreakerGetSql = "SELECT " + BreakerColumns + " FROM engine_breakers WHERE engine = @engine";

    private const string BreakersHeldSql = "SELECT " + BreakerColumns + " FROM engine_breakers WHERE state <> 'closed' ORDER BY engine";

    private const string BreakerSetSql =
        "UPDATE engine_breakers SET recent = @recent, state = @state, trips = @trips, until = @until, reason = @reason, " +
        "probe_job = @probe, updated_at = @now WHERE engine = @engine";

    // Conditional on the row alone, so of two claims racing for the probe exactly one matches.
    private const string BreakerProbeSql =
        "UPDATE engine_breakers SET state = 'probing', probe_job = @id, updated_at = @now " +
        "WHERE engine = @engine AND (state = 'open' AND until <= @now OR state = 'probing' AND probe_job = @stale)";

    // A probe cancelled or deleted ends outside EndAttempt: its breaker is due another probe.
    private const string StaleProbesSql =
        "SELECT b.engine, b.probe_job FROM engine_breakers b WHERE b.state = 'probing' " +
        "AND NOT EXISTS (SELECT 1 FROM jobs pj WHERE pj.id = b.probe_job AND pj.state = 'running')";

    private const string BreakerClearSql = "DELETE FROM engine_breakers WHERE engine = @engine AND state <> 'closed'";

    private const string GateClearSql = "DELETE FROM engine_gates WHERE engine = @engine AND until > @now";

    private static EngineBreakerRecord ReadBreaker(System.Data.Common.DbDataReader r) =>
        new(
            r.GetString(0), r.GetString(1), EngineBreaker.ParseState(r.GetString(2)), r.GetInt32(3),
            r.NullableInt64(4) is { } until ? StoreRows.Time(until) : null, r.NullableString(5), r.NullableInt64(6));

    private static List<EngineBreakerRecord> HeldBreakers(SqlSession s)
    {
        var list = new List<EngineBreakerRecord>();
        using var r = s.Cmd(BreakersHeldSql).ExecuteReader();
        while (r.Read())
            list.Add(ReadBreaker(r));
        return list;
    }

    /// <summary>
    /// Records an ended attempt in its engine's breaker, in the transaction that ends it (the row is locked, so two
    /// workers ending attempts at once both count). Refund: the attempt failed for the engine while its breaker is
    /// open, so the job goes back to queued without spending a retry; OwnEarlier: this job's earlier attempts in the
    /// window that tripped it, whose retries it gets back too.
    /// </summary>
    private static (bool Refund, int OwnEarlier) RecordInBreaker(SqlSession s, RunningJob job, AttemptOutcome outcome, DateTimeOffset now)
    {
        if (!EngineBreaker.Applies(job.Engine))
            return (false, 0);
        var nowMs = StoreRows.Ms(now);
        s.Cmd(BreakerEnsureSql).P("@engine", job.Engine).P("@now", nowMs).ExecuteNonQuery();
        EngineBreakerRecord current;
        using (var r = s.Cmd(s.Dialect.ForUpdate(BreakerGetSql)).P("@engine", job.Engine).ExecuteReader())
        {
            r.Read();
            current = ReadBreaker(r);
        }

        var counts = outcome.Kind is AttemptOutcomeKind.Succeeded or AttemptOutcomeKind.Blocked
            || outcome.Kind == AttemptOutcomeKind.Failed && outcome.Class != FailureClass.Lost;
        var decision = counts
            ? EngineBreaker.OnAttemptEnded(current, job.Id, outcome.Kind == AttemptOutcomeKind.Failed ? outcome.Class ?? FailureClass.Unknown : null, outcome.Reason, now)
            : new BreakerDecision(EngineBreaker.ProbeAbandoned(current, job.Id, now), false, false);
        if (decision.Next != current)
            WriteBreaker(s, decision.Next, now);
        if (decision.Tripped)
        {
            var next = decision.Next;
            ReleaseHeld(s, job.Engine, refund: false, $"engine {job.Engine} stopped by the failure-rate breaker", now);
            var refunded = RefundEarlier(s, [.. decision.RefundEarlier.Where(id => id != job.Id)], now);
            AppendEvent(s, "engine.breaker_opened", null, null,
                new { engine = next.Engine, until = next.Until, reason = next.Reason, trips = next.Trips, job = job.Id, refunded }, now);
        }
        else if (current.State != EngineBreakerState.Closed && decision.Next.State == EngineBreakerState.Closed)
        {
            AppendEvent(s, "engine.breaker_closed", null, null, new { engine = job.Engine, job = job.Id }, now);
        }

        // The engine worked (succeeded, asked, or failed in a way the job caused): held failures were the jobs' own.
        if (counts && (outcome.Kind != AttemptOutcomeKind.Failed || !EngineBreaker.EngineCaused(outcome.Class ?? FailureClass.Unknown)))
            FailHeld(s, job.Engine, $"engine {job.Engine} worked for job {job.Id}", now);

        return (decision.Refund && outcome.Kind == AttemptOutcomeKind.Failed, decision.RefundEarlier.Count(id => id == job.Id));
    }

    // Only a job still waiting to retry gets its retry back; a terminal job stays as it ended (SPEC §4).
    private const string RefundSql =
        "UPDATE jobs SET failures = failures - 1, updated_at = @now WHERE id = @id AND state = 'queued' AND failures > 0";

    /// <summary>The outage's earlier victims, once per attempt the window holds: returns the jobs that got a retry back.</summary>
    private static List<long> RefundEarlier(SqlSession s, IReadOnlyList<long> jobs, DateTimeOffset now)
    {
        var refunded = new List<long>();
        foreach (var id in jobs)
        {
            if (s.Cmd(RefundSql).P("@now", StoreRows.Ms(now)).P("@id", id).ExecuteNonQuery() == 1)
                refunded.Add(id);
        }

        return refunded;
    }

    private static void WriteBreaker(SqlSession s, EngineBreakerRecord b, DateTimeOffset now) =>
        s.Cmd(BreakerSetSql)
            .P("@recent", b.Recent)
            .P("@state", b.State.ToWire())
            .P("@trips", b.Trips)
            .P("@until", b.Until is { } until ? StoreRows.Ms(until) : null)
            .P("@reason", b.Reason)
            .P("@probe", b.ProbeJob)
            .P("@now", StoreRows.Ms(now))
            .P("@engine", b.Engine)
            .ExecuteNonQuery();

    /// <summary>
    /// Engines due one probe attempt (cool-down over, or the probe gone), with the stale probe job if any. Engines whose
    /// breaker still holds are left out by the candidates query itself.
    /// </summary>
    private static Dictionary<string, long?> ProbesDue(SqlSession s, DateTimeOffset now)
    {
        var due = new Dictionary<string, long?>(StringComparer.Ordinal);
        foreach (var b in HeldBreakers(s))
        {
            if (b.State == EngineBreakerState.Open && b.Until <= now)
                due[b.Engine] = null;
        }

        using var r = s.Cmd(StaleProbesSql).ExecuteReader();
        while (r.Read())
            due[r.GetString(0)] = r.NullableInt64(1);
        return due;
    }

    /// <summary>Takes the one probe of an engine for job <paramref name="id"/>; false if another claim took it first.</summary>
    private static bool TakeProbe(SqlSession s, string engine, long? stale, long id, DateTimeOffset now) =>
        s.Cmd(BreakerProbeSql).P("@id", id).P("@now", StoreRows.Ms(now)).P("@engine", engine).P("@stale", stale).ExecuteNonQuery() == 1;

    public Task<bool> EngineResumeAsync(EngineResumeParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s =>
            {
                var breaker = s.Cmd(BreakerClearSql).P("@engine", p.Engine).ExecuteNonQuery();
                var gate = s.Cmd(GateClearSql).P("@engine", p.Engine).P("@now", StoreRows.Ms(p.Now)).ExecuteNonQuery();
                var held = ReleaseHeld(s, p.Engine, refund: true, $"engine {p.Engine} resumed", p.Now);
                if (breaker + gate + held.Count == 0)
                    return false;
                AppendEvent(s, "engine.resumed", null, null, new { engine = p.Engine, breaker = breaker > 0, gate = gate > 0, held }, p.Now);
                return true;
            },
            ct);
    }
}
