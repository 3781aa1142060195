using Drover.Core.Storage;

namespace Drover.Storage.Sql;

/// <summary>The status echo's cursor over the event log and the lease that lets one serve of a fleet echo at a time.</summary>
public abstract partial class SqlJobStore
{
    // Inserts the row on first use; otherwise takes it when it is ours already or its lease ran out. RETURNING gives a
    // row only when this holder now holds it.
    private const string ForgeEchoAcquireSql =
        "INSERT INTO forge_echo (name, event_cursor, holder, lease_until) VALUES ('echo', @initial, @holder, @until) " +
        "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until " +
        "WHERE forge_echo.holder = excluded.holder OR forge_echo.lease_until <= @now " +
        "RETURNING event_cursor";

    private const string ForgeEchoAdvanceSql =
        "UPDATE forge_echo SET event_cursor = CASE WHEN event_cursor < @cursor THEN @cursor ELSE event_cursor END, lease_until = @until " +
        "WHERE name = 'echo' AND holder = @holder";

    public Task<long?> ForgeEchoAcquireAsync(ForgeEchoAcquireParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s =>
            {
                var cursor = s.Cmd(ForgeEchoAcquireSql)
                    .P("@initial", p.InitialCursor)
                    .P("@holder", p.Holder)
                    .P("@until", StoreRows.Ms(p.LeaseUntil))
                    .P("@now", StoreRows.Ms(p.Now))
                    .ExecuteScalar();
                s.Quiet = true;
                return cursor is null or DBNull ? (long?)null : Convert.ToInt64(cursor, System.Globalization.CultureInfo.InvariantCulture);
            },
            concurrent: true,
            ct);
    }

    public Task<bool> ForgeEchoAdvanceAsync(ForgeEchoAdvanceParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s =>
            {
                s.Quiet = true;
                return s.Cmd(ForgeEchoAdvanceSql)
                    .P("@cursor", p.Cursor)
                    .P("@until", StoreRows.Ms(p.LeaseUntil))
                    .P("@holder", p.Holder)
                    .ExecuteNonQuery() == 1;
            },
            concurrent: true,
            ct);
    }
}
