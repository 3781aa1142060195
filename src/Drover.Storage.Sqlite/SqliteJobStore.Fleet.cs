using Drover.Core.Storage;

namespace Drover.Storage.Sqlite;

public sealed partial class SqliteJobStore
{
    private const string FleetGetSql = "SELECT paused, paused_at FROM fleet WHERE id = 1";

    private const string FleetSetSql =
        "UPDATE fleet SET paused = @paused, paused_at = @at WHERE id = 1 AND paused <> @paused";

    public Task<FleetState> FleetGetAsync(CancellationToken ct) =>
        Task.FromResult(Read(
            s =>
            {
                using var r = s.Cmd(FleetGetSql).ExecuteReader();
                return r.Read()
                    ? new FleetState(r.GetInt64(0) != 0, r.IsDBNull(1) ? null : SqliteRows.Time(r.GetInt64(1)))
                    : new FleetState(false, null);
            },
            ct));

    /// <summary>Pauses or resumes claiming; a no-op (and no event) when already in that state.</summary>
    public Task FleetSetPausedAsync(FleetPauseParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s =>
            {
                var changed = s.Cmd(FleetSetSql)
                    .P("@paused", p.Paused ? 1 : 0)
                    .P("@at", p.Paused ? SqliteRows.Ms(p.Now) : null)
                    .ExecuteNonQuery() == 1;
                if (changed)
                    AppendEvent(s, p.Paused ? "fleet.paused" : "fleet.resumed", null, null, new { }, p.Now);
                return changed;
            },
            ct);
    }
}
