using System.Data.Common;
using System.Text.Json;
using Drover.Core;
using Drover.Core.Storage;

namespace Drover.Storage.Sql;

/// <summary>Alerts and the cursor of the rules that raise them: rows every process of a fleet shares.</summary>
public abstract partial class SqlJobStore
{
    private const string AlertColumns = "id, key, kind, subject, message, data, first_at, last_at, count, acked_at, delivered_at, delivery, acked_by";

    private const string AlertLatestByKeySql = "SELECT " + AlertColumns + " FROM alerts WHERE key = @key ORDER BY id DESC LIMIT 1";

    private const string AlertByIdSql = "SELECT " + AlertColumns + " FROM alerts WHERE id = @id";

    private const string AlertInsertSql =
        "INSERT INTO alerts (key, kind, subject, message, data, first_at, last_at, count) " +
        "VALUES (@key, @kind, @subject, @message, @data, @now, @now, 1) RETURNING id";

    private const string AlertFoldSql = "UPDATE alerts SET count = count + 1, last_at = @now WHERE id = @id";

    private const string AlertListOpenSql = "SELECT " + AlertColumns + " FROM alerts WHERE acked_at IS NULL ORDER BY id DESC LIMIT @limit";

    private const string AlertListAllSql = "SELECT " + AlertColumns + " FROM alerts ORDER BY id DESC LIMIT @limit";

    private const string AlertAckSql = "UPDATE alerts SET acked_at = @now, acked_by = @by WHERE id = @id AND acked_at IS NULL";

    private const string AlertDeliveredSql = "UPDATE alerts SET delivered_at = @now, delivery = @delivery WHERE id = @id";

    private const string AlertTakeOverSql =
        "UPDATE alerts SET delivered_at = @now, delivery = 'redelivering after its server stopped' WHERE id = @id AND delivered_at IS NULL";

    private const string AlertCursorSql = "SELECT alert_cursor FROM fleet WHERE id = 1";

    private const string AlertCursorSetSql = "UPDATE fleet SET alert_cursor = @cursor WHERE id = 1 AND alert_cursor < @cursor";

    public Task<AlertRaiseResult> AlertRaiseAsync(AlertRaiseParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        // Not concurrent: two processes raising the same key at once must see each other's row (the cooldown is the
        // whole point), and alerts are rare.
        return WriteAsync(
            s =>
            {
                if (ReadAlert(s, AlertLatestByKeySql, "@key", p.Key) is { } last && p.Now - last.FirstAt < p.Cooldown)
                {
                    s.Quiet = true;
                    s.Cmd(AlertFoldSql).P("@now", StoreRows.Ms(p.Now)).P("@id", last.Id).ExecuteNonQuery();
                    return new AlertRaiseResult(last with { Count = last.Count + 1, LastAt = p.Now }, false);
                }

                var id = s.Cmd(AlertInsertSql)
                    .P("@key", p.Key)
                    .P("@kind", p.Kind)
                    .P("@subject", p.Subject)
                    .P("@message", p.Message)
                    .P("@data", p.DataJson)
                    .P("@now", StoreRows.Ms(p.Now))
                    .Scalar64();
                AppendEvent(s, "alert.raised", null, null, new { id, key = p.Key, kind = p.Kind, subject = p.Subject, message = p.Message }, p.Now);
                var alert = new AlertRecord(id, p.Key, p.Kind, p.Subject, p.Message, p.DataJson, p.Now, p.Now, 1, null, null, null);
                return new AlertRaiseResult(alert, true);
            },
            ct);
    }

    public Task<IReadOnlyList<AlertRecord>> AlertListAsync(AlertListParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return Task.FromResult(Read<IReadOnlyList<AlertRecord>>(
            s =>
            {
                var list = new List<AlertRecord>();
                using var r = s.Cmd(p.All ? AlertListAllSql : AlertListOpenSql).P("@limit", Math.Clamp(p.Limit, 0, 10_000)).ExecuteReader();
                while (r.Read())
                    list.Add(AlertRow(r));
                return list;
            },
            ct));
    }

    public Task<AlertRecord> AlertAckAsync(AlertAckParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s =>
            {
                var acked = s.Cmd(AlertAckSql).P("@now", StoreRows.Ms(p.Now)).P("@by", p.By).P("@id", p.Id).ExecuteNonQuery() == 1;
                var alert = ReadAlert(s, AlertByIdSql, "@id", p.Id) ?? throw new NotFoundException($"alert {p.Id} not found");
                if (acked)
                    AppendEvent(s, "alert.acked", null, null, new { id = p.Id, key = alert.Key, by = p.By }, p.Now);
                else
                    s.Quiet = true;
                return alert;
            },
            concurrent: true,
            ct);
    }

    public Task AlertDeliveredAsync(AlertDeliveredParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s =>
            {
                s.Quiet = true;
                return s.Cmd(AlertDeliveredSql).P("@now", StoreRows.Ms(p.Now)).P("@delivery", p.Delivery).P("@id", p.Id).ExecuteNonQuery();
            },
            concurrent: true,
            ct);
    }

    public Task<bool> AlertTakeOverDeliveryAsync(long id, DateTimeOffset now, CancellationToken ct) =>
        WriteAsync(
            s =>
            {
                s.Quiet = true;
                return s.Cmd(AlertTakeOverSql).P("@now", StoreRows.Ms(now)).P("@id", id).ExecuteNonQuery() == 1;
            },
            concurrent: true,
            ct);

    public Task<long> AlertCursorGetAsync(CancellationToken ct) => Task.FromResult(Read(s => s.Cmd(AlertCursorSql).Scalar64(), ct));

    public Task AlertCursorSetAsync(long cursor, CancellationToken ct) =>
        WriteAsync(
            s =>
            {
                s.Quiet = true;
                return s.Cmd(AlertCursorSetSql).P("@cursor", cursor).ExecuteNonQuery();
            },
            concurrent: true,
            ct);

    private static AlertRecord? ReadAlert(SqlSession s, string sql, string name, object value)
    {
        using var r = s.Cmd(sql).P(name, value).ExecuteReader();
        return r.Read() ? AlertRow(r) : null;
    }

    private static AlertRecord AlertRow(DbDataReader r) => new(
        r.GetInt64(0),
        r.GetString(1),
        r.GetString(2),
        r.GetString(3),
        r.GetString(4),
        r.GetString(5),
        StoreRows.Time(r.GetInt64(6)),
        StoreRows.Time(r.GetInt64(7)),
        (int)r.GetInt64(8),
        r.NullableInt64(9) is { } acked ? StoreRows.Time(acked) : null,
        r.NullableInt64(10) is { } delivered ? StoreRows.Time(delivered) : null,
        r.NullableString(11),
        r.NullableString(12));
}
