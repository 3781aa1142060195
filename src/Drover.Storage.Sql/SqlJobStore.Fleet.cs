using Drover.Core.Storage;

namespace Drover.Storage.Sql;

public abstract partial class SqlJobStore
{
    private const string FleetGetSql = "SELECT paused, paused_at, max_running FROM fleet WHERE id = 1";

    private const string FleetSetMaxRunningSql = "UPDATE fleet SET max_running = @max WHERE id = 1 AND max_running <> @max";

    private const string FleetSetSql =
        "UPDATE fleet SET paused = @paused, paused_at = @at WHERE id = 1 AND paused <> @paused";

    private const string GatesOpenSql = "SELECT engine, until, reason FROM engine_gates WHERE until > @now ORDER BY engine";

    // Only ever moves a gate later: two jobs hitting the same limit must not shorten each other's wait.
    private const string GateUpsertSql =
        "INSERT INTO engine_gates (engine, until, reason, set_at) VALUES (@engine, @until, @reason, @now) " +
        "ON CONFLICT (engine) DO UPDATE SET until = excluded.until, reason = excluded.reason, set_at = excluded.set_at " +
        "WHERE excluded.until > engine_gates.until";

    public Task<FleetState> FleetGetAsync(CancellationToken ct) =>
        Task.FromResult(Read(
            s =>
            {
                FleetState state;
                using (var r = s.Cmd(FleetGetSql).ExecuteReader())
                {
                    state = r.Read()
                        ? new FleetState(r.GetInt64(0) != 0, r.IsDBNull(1) ? null : StoreRows.Time(r.GetInt64(1))) { MaxRunning = r.GetInt32(2) }
                        : new FleetState(false, null);
                }

                return state with
                {
                    Gates = ClosedGates(s, DateTimeOffset.UtcNow),
                    Running = s.Cmd(RunningCountSql).Scalar64(),
                    Breakers = HeldBreakers(s),
                };
            },
            ct));

    private static List<EngineGate> ClosedGates(SqlSession s, DateTimeOffset now)
    {
        var gates = new List<EngineGate>();
        using var r = s.Cmd(GatesOpenSql).P("@now", StoreRows.Ms(now)).ExecuteReader();
        while (r.Read())
            gates.Add(new EngineGate(r.GetString(0), StoreRows.Time(r.GetInt64(1)), r.GetString(2)));
        return gates;
    }

    private static void CloseEngineGate(SqlSession s, string engine, DateTimeOffset until, string reason, DateTimeOffset now)
    {
        var moved = s.Cmd(GateUpsertSql)
            .P("@engine", engine)
            .P("@until", StoreRows.Ms(until))
            .P("@reason", reason)
            .P("@now", StoreRows.Ms(now))
            .ExecuteNonQuery();
        if (moved > 0)
            AppendEvent(s, "engine.gated", null, null, new { engine, until, reason }, now);
    }

    public Task FleetSetMaxRunningAsync(FleetMaxRunningParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentOutOfRangeException.ThrowIfNegative(p.MaxRunning);
        return WriteAsync(
            s =>
            {
                var changed = s.Cmd(FleetSetMaxRunningSql).P("@max", p.MaxRunning).ExecuteNonQuery() == 1;
                if (changed)
                    AppendEvent(s, "fleet.max_running", null, null, new { max_running = p.MaxRunning }, p.Now);
                return changed;
            },
            ct);
    }

    /// <summary>Pauses or resumes claiming; a no-op (and no event) when already in that state.</summary>
    public Task FleetSetPausedAsync(FleetPauseParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s =>
            {
                var changed = s.Cmd(FleetSetSql)
                    .P("@paused", p.Paused ? 1 : 0)
                    .P("@at", p.Paused ? StoreRows.Ms(p.Now) : null)
                    .ExecuteNonQuery() == 1;
                if (changed)
                    AppendEvent(s, p.Paused ? "fleet.paused" : "fleet.resumed", null, null, new { }, p.Now);
                return changed;
            },
            ct);
    }
}
