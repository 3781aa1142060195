using Drover.Core;
using Drover.Core.Jobs;
using Drover.Core.Storage;

namespace Drover.Storage.Sql;

public abstract partial class SqlJobStore
{
    private const string WorkerUpsertSql =
        "INSERT INTO workers (name, host, pid, state, slots, running, capabilities, started_at, last_heartbeat_at) " +
        "VALUES (@name, @host, @pid, 'idle', @slots, '[]', @caps, @now, @now) " +
        "ON CONFLICT (name) DO UPDATE SET host = excluded.host, pid = excluded.pid, state = 'idle', slots = excluded.slots, " +
        "running = '[]', capabilities = excluded.capabilities, started_at = excluded.started_at, gate = NULL, " +
        "last_heartbeat_at = excluded.last_heartbeat_at";

    private const string WorkerPreviousSql = "SELECT host, pid, state, last_heartbeat_at FROM workers WHERE name = @name";

    private const string WorkerHeartbeatSql =
        "UPDATE workers SET last_heartbeat_at = @now, state = @state, running = @running, gate = @gate " +
        "WHERE name = @name AND state NOT IN ('lost', 'stopped')";

    private const string WorkerStopSql =
        "UPDATE workers SET state = 'stopped', running = '[]', last_heartbeat_at = @now WHERE name = @name AND state <> 'stopped'";

    private const string WorkerSilentSql =
        "SELECT name FROM workers WHERE state NOT IN ('lost', 'stopped') AND last_heartbeat_at < @cutoff ORDER BY name";

    private const string WorkerMarkLostSql = "UPDATE workers SET state = 'lost', running = '[]' WHERE name = @name";

    private const string WorkerJobsSql = "SELECT id, epoch FROM jobs WHERE state = 'running' AND worker = @name ORDER BY id";

    private const string WorkerListSql = "SELECT " + StoreRows.WorkerColumns + " FROM workers ORDER BY name";

    public Task WorkerRegisterAsync(WorkerRegisterParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s =>
            {
                LosePreviousRow(s, p);
                s.Cmd(WorkerUpsertSql)
                    .P("@name", p.Name)
                    .P("@host", p.Host)
                    .P("@pid", p.Pid)
                    .P("@slots", p.Slots)
                    .P("@caps", StoreRows.Json(p.Capabilities))
                    .P("@now", StoreRows.Ms(p.Now))
                    .ExecuteNonQuery();
                return AppendEvent(s, "worker.started", null, p.Name, new { host = p.Host, pid = p.Pid, slots = p.Slots }, p.Now);
            },
            ct);
    }

    /// <summary>
    /// A row of this name that never stopped: its process died (marked lost at its last heartbeat, its jobs released)
    /// or is still alive (the name is taken: a conflict, so two processes never share one row).
    /// </summary>
    private static void LosePreviousRow(SqlSession s, WorkerRegisterParams p)
    {
        string host;
        long pid;
        DateTimeOffset lastHeartbeat;
        using (var r = s.Cmd(WorkerPreviousSql).P("@name", p.Name).ExecuteReader())
        {
            if (!r.Read() || r.GetString(2) is "lost" or "stopped")
                return;
            (host, pid, lastHeartbeat) = (r.GetString(0), r.GetInt64(1), StoreRows.Time(r.GetInt64(3)));
        }

        var silent = p.Now - lastHeartbeat;
        var dead = silent > (p.HeartbeatTimeout ?? TimeSpan.FromSeconds(30)) || (host == p.Host && pid == p.KnownDeadPid);
        if (!dead)
        {
            throw new ConflictException(
                $"worker name {p.Name} is in use by a live worker (pid {pid} on {host}, last heartbeat " +
                $"{Math.Max(0, silent.TotalSeconds):0} s ago); give this one another --name, or stop that one first");
        }

        s.Cmd(WorkerMarkLostSql).P("@name", p.Name).ExecuteNonQuery();
        // Noticed now, at its restart; it died at its last heartbeat (what reports measure the outage from).
        AppendEvent(
            s,
            "worker.lost",
            null,
            p.Name,
            new { timeout_s = Math.Max(0, silent.TotalSeconds), last_heartbeat_at = lastHeartbeat, found = "restart" },
            p.Now);
        foreach (var (id, epoch) in RunningJobsOf(s, p.Name))
            LoseJob(s, id, epoch, $"worker {p.Name} lost", p.Now, p.JitterUnit);
    }

    private static List<(long Id, long Epoch)> RunningJobsOf(SqlSession s, string name)
    {
        var jobs = new List<(long Id, long Epoch)>();
        using var r = s.Cmd(WorkerJobsSql).P("@name", name).ExecuteReader();
        while (r.Read())
            jobs.Add((r.GetInt64(0), r.GetInt64(1)));
        return jobs;
    }

    public Task<bool> WorkerHeartbeatAsync(WorkerHeartbeatParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s => s.Cmd(WorkerHeartbeatSql)
                .P("@now", StoreRows.Ms(p.Now))
                .P("@state", p.State)
                .P("@running", StoreRows.Json(p.Running))
                .P("@gate", p.Gate)
                .P("@name", p.Name)
                .ExecuteNonQuery() == 1,
            ct);
    }

    public Task WorkerStopAsync(WorkerStopParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s =>
            {
                if (s.Cmd(WorkerStopSql).P("@now", StoreRows.Ms(p.Now)).P("@name", p.Name).ExecuteNonQuery() == 0)
                    return false;
                AppendEvent(s, "worker.stopped", null, p.Name, new { }, p.Now);
                return true;
            },
            ct);
    }

    public Task<IReadOnlyList<string>> WorkerRescueLostAsync(WorkerRescueParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync<IReadOnlyList<string>>(
            s =>
            {
                var lost = new List<string>();
                using (var r = s.Cmd(WorkerSilentSql).P("@cutoff", StoreRows.Ms(p.Now - p.HeartbeatTimeout)).ExecuteReader())
                {
                    while (r.Read())
                        lost.Add(r.GetString(0));
                }

                foreach (var name in lost)
                {
                    s.Cmd(WorkerMarkLostSql).P("@name", name).ExecuteNonQuery();
                    AppendEvent(s, "worker.lost", null, name, new { timeout_s = p.HeartbeatTimeout.TotalSeconds }, p.Now);
                    // Released at once rather than waiting for the lease to expire (SPEC §6).
                    foreach (var (id, epoch) in RunningJobsOf(s, name))
                        LoseJob(s, id, epoch, $"worker {name} lost", p.Now, p.JitterUnit);
                }

                return lost;
            },
            ct);
    }

    public Task<IReadOnlyList<WorkerRecord>> WorkerListAsync(CancellationToken ct) =>
        Task.FromResult(Read<IReadOnlyList<WorkerRecord>>(
            s =>
            {
                var list = new List<WorkerRecord>();
                using var r = s.Cmd(WorkerListSql).ExecuteReader();
                while (r.Read())
                    list.Add(StoreRows.ReadWorker(r));
                return list;
            },
            ct));
}
