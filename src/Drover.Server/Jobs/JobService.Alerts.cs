using System.Text.Json;
using Drover.Core.Storage;

namespace Drover.Server.Jobs;

/// <summary>An alert for <c>drover alerts</c> / <c>GET /api/alerts</c>.</summary>
public sealed record AlertView(
    long Id,
    string Key,
    string Kind,
    string Subject,
    string Message,
    DateTimeOffset FirstAt,
    DateTimeOffset LastAt,
    int Count,
    DateTimeOffset? AckedAt,
    DateTimeOffset? DeliveredAt,
    string? Delivery,
    JsonElement Data,
    string? AckedBy = null);

public sealed partial class JobService
{
    public async Task<IReadOnlyList<AlertView>> AlertsAsync(bool all, CancellationToken ct) =>
        [.. (await _store.AlertListAsync(new AlertListParams(all, all ? 500 : 100), ct)).Select(ToView)];

    public async Task<AlertView> AckAlertAsync(long id, CancellationToken ct) =>
        ToView(await _store.AlertAckAsync(new AlertAckParams(id, _time.GetUtcNow()), ct));

    private static AlertView ToView(AlertRecord a)
    {
        using var doc = JsonDocument.Parse(string.IsNullOrEmpty(a.DataJson) ? "{}" : a.DataJson);
        return new AlertView(a.Id, a.Key, a.Kind, a.Subject, a.Message, a.FirstAt, a.LastAt, a.Count, a.AckedAt, a.DeliveredAt, a.Delivery,
            doc.RootElement.Clone(), a.AckedBy);
    }
}
