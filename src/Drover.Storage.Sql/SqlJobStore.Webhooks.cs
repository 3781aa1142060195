using Drover.Core.Storage;

namespace Drover.Storage.Sql;

/// <summary>Forge webhook deliveries (SPEC §12): the record that makes a redelivery a duplicate.</summary>
public abstract partial class SqlJobStore
{
    // A new id inserts; an id whose earlier handling failed is taken again; any other is a duplicate (no row changes).
    private const string WebhookBeginSql =
        "INSERT INTO webhook_deliveries (source, id, event, received_at, outcome) VALUES (@source, @id, @event, @now, 'received') " +
        "ON CONFLICT (source, id) DO UPDATE SET event = excluded.event, received_at = excluded.received_at, outcome = 'received' " +
        "WHERE webhook_deliveries.outcome = 'failed'";

    private const string WebhookEndSql = "UPDATE webhook_deliveries SET outcome = @outcome WHERE source = @source AND id = @id";

    private const string WebhookListSql =
        "SELECT source, id, event, received_at, outcome FROM webhook_deliveries ORDER BY received_at DESC, source, id LIMIT @limit";

    public Task<bool> WebhookDeliveryBeginAsync(WebhookDeliveryBeginParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s =>
            {
                var taken = s.Cmd(WebhookBeginSql)
                    .P("@source", p.Source)
                    .P("@id", p.DeliveryId)
                    .P("@event", p.Event)
                    .P("@now", StoreRows.Ms(p.Now))
                    .ExecuteNonQuery() == 1;
                s.Quiet = !taken;
                return taken;
            },
            concurrent: true,
            ct);
    }

    public Task WebhookDeliveryEndAsync(WebhookDeliveryEndParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s =>
            {
                s.Cmd(WebhookEndSql).P("@outcome", p.Outcome).P("@source", p.Source).P("@id", p.DeliveryId).ExecuteNonQuery();
                return true;
            },
            concurrent: true,
            ct);
    }

    public Task<IReadOnlyList<WebhookDeliveryRecord>> WebhookDeliveryListAsync(int limit, CancellationToken ct) =>
        Task.FromResult(Read<IReadOnlyList<WebhookDeliveryRecord>>(
            s =>
            {
                var list = new List<WebhookDeliveryRecord>();
                using var r = s.Cmd(WebhookListSql).P("@limit", Math.Clamp(limit, 0, 10_000)).ExecuteReader();
                while (r.Read())
                    list.Add(new(r.GetString(0), r.GetString(1), r.GetString(2), StoreRows.Time(r.GetInt64(3)), r.GetString(4)));
                return list;
            },
            ct));
}
