using Drover.Core.Jobs;
using Drover.Core.Scheduling;
using Drover.Core.Storage;

namespace Drover.Storage.Sql;

public abstract partial class SqlJobStore
{
    // Eligibility that SQL can decide (the fleet not paused, the job's engine not gated, deps, locks);
    // capabilities and engines the worker has are checked in C# over the batch.
    private const string ClaimCandidatesSql =
        "SELECT j.id, j.engine, j.capabilities, j.lock_key FROM jobs j " +
        "WHERE j.state = 'queued' AND j.next_eligible_at <= @now AND j.held_until IS NULL " +
        "AND NOT EXISTS (SELECT 1 FROM fleet f WHERE f.id = 1 AND f.paused <> 0) " +
        "AND NOT EXISTS (SELECT 1 FROM engine_gates g WHERE g.engine = j.engine AND g.until > @now) " +
        "AND NOT EXISTS (SELECT 1 FROM engine_breakers b WHERE b.engine = j.engine AND (b.state = 'open' AND b.until > @now " +
        "OR b.state = 'probing' AND EXISTS (SELECT 1 FROM jobs pj WHERE pj.id = b.probe_job AND pj.state = 'running'))) " +
        "AND (j.lock_key IS NULL OR NOT EXISTS (SELECT 1 FROM jobs r WHERE r.state = 'running' AND r.lock_key = j.lock_key)) " +
        "AND NOT EXISTS (SELECT 1 FROM job_deps d JOIN jobs p ON p.id = d.dep_id " +
        "WHERE d.job_id = j.id AND p.state <> 'succeeded' AND (j.deps_mode = 'hard' OR p.engine_done = 0)) " +
        "ORDER BY j.priority DESC, j.next_eligible_at, j.id LIMIT @limit OFFSET @offset";

    // Fenced by state: the row was read as queued in this same write transaction.
    private const string ClaimUpdateSql =
        "UPDATE jobs SET state = 'running', worker = @worker, epoch = epoch + 1, attempt = attempt + 1, " +
        "lease_expires_at = @lease, updated_at = @now, class = NULL, reason = NULL, blocked_on = NULL, question = NULL " +
        "WHERE id = @id AND state = 'queued' RETURNING " + StoreRows.JobColumns;

    private const string AttemptInsertSql =
        "INSERT INTO attempts (job_id, n, worker, epoch, state, started_at) VALUES (@id, @n, @worker, @epoch, 'running', @now)";

    public Task<IReadOnlyList<JobRecord>> JobClaimAsync(JobClaimParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.Max <= 0)
            return Task.FromResult<IReadOnlyList<JobRecord>>([]);
        return WriteAsync<IReadOnlyList<JobRecord>>(s => ClaimJobs(s, p), concurrent: true, ct);
    }

    private const string FleetCapSql = "SELECT max_running FROM fleet WHERE id = 1";

    private const string RunningCountSql = "SELECT COUNT(*) FROM jobs WHERE state = 'running'";

    /// <summary>
    /// How many more jobs the fleet may run under <c>max_running</c>. With a cap, the fleet row is locked first, so on
    /// PostgreSQL concurrent claims count the running jobs one after another and never overshoot together.
    /// </summary>
    private static int FleetRoom(SqlSession s, int wanted)
    {
        if (Convert.ToInt64(s.Cmd(FleetCapSql).ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) <= 0)
            return wanted;
        var cap = Convert.ToInt64(s.Cmd(s.Dialect.ForUpdate(FleetCapSql)).ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        if (cap <= 0)
            return wanted;
        var running = s.Cmd(RunningCountSql).Scalar64();
        return (int)Math.Clamp(cap - running, 0, wanted);
    }

    private static List<JobRecord> ClaimJobs(SqlSession s, JobClaimParams p)
    {
        var room = FleetRoom(s, p.Max);
        if (room == 0)
        {
            s.Quiet = true;
            return [];
        }

        var probes = ProbesDue(s, p.Now);
        var picked = PickCandidates(s, p with { Max = room }, probes);
        var now = StoreRows.Ms(p.Now);
        var lease = StoreRows.Ms(p.Now + p.LeaseTtl);
        var claimed = new List<JobRecord>(picked.Count);
        foreach (var (id, engine) in picked)
        {
            // An engine whose breaker's cool-down ended gets one probe attempt, fleet-wide.
            if (probes.TryGetValue(engine, out var stale) && !TakeProbe(s, engine, stale, id, p.Now))
                continue;
            var job = StoreRows.ReadJobOrNull(
                s.Cmd(ClaimUpdateSql).P("@worker", p.Worker).P("@lease", lease).P("@now", now).P("@id", id));
            if (job is null)
                continue;
            s.Cmd(AttemptInsertSql)
                .P("@id", id)
                .P("@n", job.Attempt)
                .P("@worker", p.Worker)
                .P("@epoch", job.Epoch)
                .P("@now", now)
                .ExecuteNonQuery();
            AppendEvent(s, "job.claimed", id, p.Worker, new { epoch = job.Epoch, attempt = job.Attempt }, p.Now);
            claimed.Add(job);
        }

        s.Quiet = claimed.Count == 0;
        return claimed;
    }

    /// <summary>An engine_class job (no engine named) needs a worker with at least one agent engine; the worker picks which.</summary>
    private static bool HasAgentEngine(IReadOnlyList<string> offered) =>
        offered.Any(c => c.StartsWith("engine:", StringComparison.Ordinal) && !c.StartsWith("engine:shell", StringComparison.Ordinal));

    private static bool HasEngine(IReadOnlyList<string> offered, string engine)
    {
        foreach (var cap in offered)
        {
            if (cap.Length > 7 && cap.StartsWith("engine:", StringComparison.Ordinal) && cap.AsSpan(7).StartsWith(engine, StringComparison.Ordinal)
                && (cap.Length == 7 + engine.Length || !char.IsLetterOrDigit(cap[7 + engine.Length]) && cap[7 + engine.Length] is not ('-' or '_')))
                return true;
        }

        return false;
    }

    /// <summary>
    /// Walks eligible jobs in claim order, a batch at a time, keeping those this worker can run:
    /// capabilities satisfied, engine not gated, no two picks sharing a lock key, and one probe per engine due one.
    /// </summary>
    private static List<(long Id, string Engine)> PickCandidates(SqlSession s, JobClaimParams p, Dictionary<string, long?> probes)
    {
        var batch = Math.Max(p.Max * 2, 4);
        var picked = new List<(long, string)>(p.Max);
        HashSet<string>? locks = null, probing = null;
        for (var offset = 0; picked.Count < p.Max; offset += batch)
        {
            var rows = 0;
            using var r = s.Cmd(s.Dialect.ForUpdateSkipLocked(ClaimCandidatesSql)).P("@now", StoreRows.Ms(p.Now)).P("@limit", batch).P("@offset", offset).ExecuteReader();
            while (r.Read() && picked.Count < p.Max)
            {
                rows++;
                if (p.PausedEngines is { Count: > 0 } paused && paused.Contains(r.GetString(1)))
                    continue;
                // A job runs only where its engine is: workers advertise engine:<name> for each CLI they have.
                var engine = r.GetString(1);
                if (engine.Length > 0 ? !HasEngine(p.Capabilities, engine) : !HasAgentEngine(p.Capabilities))
                    continue;
                var caps = r.GetString(2);
                if (caps != "[]" && !CapabilityMatcher.Satisfies(p.Capabilities, StoreRows.Strings(caps)))
                    continue;
                if (probes.ContainsKey(engine) && !(probing ??= new HashSet<string>(StringComparer.Ordinal)).Add(engine))
                    continue;
                if (!r.IsDBNull(3) && !(locks ??= new HashSet<string>(StringComparer.Ordinal)).Add(r.GetString(3)))
                    continue;
                picked.Add((r.GetInt64(0), engine));
            }

            if (rows < batch)
                break;
        }

        return picked;
    }
}
