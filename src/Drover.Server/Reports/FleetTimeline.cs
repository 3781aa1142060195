using System.Text.Json;
using Drover.Core.Jobs;
using Drover.Core.Storage;

namespace Drover.Server.Reports;

/// <summary>One stretch of a worker being live: registered and heartbeating, with this many slots.</summary>
internal sealed record LiveSpan(string Worker, Span Span, int Slots);

/// <summary>
/// A worker lost: it died at its last heartbeat (<see cref="DiedAt"/>: recorded in the lost event when it was found at its
/// restart, else the lost event's time less the heartbeat timeout),
/// Drover noticed at <see cref="NoticedAt"/>, and the same worker name registered again at <see cref="BackAt"/> (or never).
/// </summary>
internal sealed record Loss(string Worker, DateTimeOffset DiedAt, DateTimeOffset NoticedAt, DateTimeOffset? BackAt);

/// <summary>
/// Worker liveness and fleet pauses over [from, now], rebuilt from <c>worker.started</c>/<c>stopped</c>/<c>lost</c> and
/// <c>fleet.paused</c>/<c>resumed</c> events. State at <c>from</c> comes from each worker's first event in the window
/// (a stop or loss means it was live before) or, with no event, from its current row.
/// </summary>
internal sealed class FleetTimeline
{
    private static readonly string[] LiveStates = ["idle", "busy", "draining"];

    public List<LiveSpan> Live { get; } = [];
    public List<Loss> Losses { get; } = [];
    public List<Span> Paused { get; private set; } = [];
    public Dictionary<string, string> Hosts { get; } = new(StringComparer.Ordinal);

    public static FleetTimeline Build(FleetReportInputs input, DateTimeOffset from)
    {
        var t = new FleetTimeline();
        var rows = input.Workers.ToDictionary(w => w.Name, StringComparer.Ordinal);
        var byWorker = input.Events
            .Where(e => e.Worker is not null && e.Type.StartsWith("worker.", StringComparison.Ordinal))
            .GroupBy(e => e.Worker!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(e => e.Id).ToList(), StringComparer.Ordinal);
        foreach (var name in rows.Keys.Union(byWorker.Keys, StringComparer.Ordinal))
        {
            rows.TryGetValue(name, out var row);
            t.AddWorker(name, byWorker.GetValueOrDefault(name) ?? [], row, input, from);
        }

        t.Paused = PausedSpans(input, from);
        return t;
    }

    private void AddWorker(string name, List<EventRecord> events, WorkerRecord? row, FleetReportInputs input, DateTimeOffset from)
    {
        if (row is not null)
            Hosts[name] = row.Host;
        DateTimeOffset? since = null;
        var slots = row?.Slots ?? 0;
        if (events.Count > 0 ? events[0].Type != "worker.started" : row is not null && LiveStates.Contains(row.State) && row.StartedAt < from)
            since = from; // live when the window opened
        else if (events.Count == 0 && row is not null && LiveStates.Contains(row.State))
            since = row.StartedAt;

        foreach (var e in events)
        {
            var data = Data(e);
            switch (e.Type)
            {
                case "worker.started":
                    Close(name, ref since, slots, e.At);
                    since = e.At;
                    slots = Int(data, "slots") ?? slots;
                    if (Str(data, "host") is { } host)
                        Hosts[name] = host;
                    BackFromLoss(name, e.At);
                    break;
                case "worker.stopped":
                    Close(name, ref since, slots, e.At);
                    break;
                case "worker.lost":
                    // Its last heartbeat: recorded when it was found at its restart, else the timeout before it was noticed.
                    var died = Time(data, "last_heartbeat_at") ?? e.At - TimeSpan.FromSeconds(Double(data, "timeout_s") ?? 0);
                    if (since is { } s && died < s)
                        died = s;
                    Close(name, ref since, slots, died);
                    Losses.Add(new Loss(name, died, e.At, null));
                    break;
            }
        }

        if (since is not null)
        {
            // Still live by its row: up to now while it heartbeats, else up to its last heartbeat.
            var end = row is null || (LiveStates.Contains(row.State) && input.Now - row.LastHeartbeatAt <= input.StaleAfter)
                ? input.Now
                : row.LastHeartbeatAt;
            Close(name, ref since, slots, end);
        }
    }

    private void Close(string name, ref DateTimeOffset? since, int slots, DateTimeOffset at)
    {
        if (since is { } s && at > s)
            Live.Add(new LiveSpan(name, new Span(s, at), slots));
        since = null;
    }

    private void BackFromLoss(string name, DateTimeOffset at)
    {
        for (var i = 0; i < Losses.Count; i++)
        {
            if (Losses[i].Worker == name && Losses[i].BackAt is null)
                Losses[i] = Losses[i] with { BackAt = at };
        }
    }

    private static List<Span> PausedSpans(FleetReportInputs input, DateTimeOffset from)
    {
        var events = input.Events.Where(e => e.Type is "fleet.paused" or "fleet.resumed").OrderBy(e => e.Id).ToList();
        DateTimeOffset? since = events.Count > 0
            ? events[0].Type == "fleet.resumed" ? from : null
            : input.Fleet.Paused ? (input.Fleet.PausedAt is { } at && at > from ? at : from) : null;
        var spans = new List<Span>();
        foreach (var e in events)
        {
            if (e.Type == "fleet.paused")
            {
                since ??= e.At;
            }
            else if (since is { } s)
            {
                spans.Add(new Span(s, e.At));
                since = null;
            }
        }

        if (since is { } open)
            spans.Add(new Span(open, input.Now));
        return Span.Union(spans);
    }

    internal static JsonElement Data(EventRecord e)
    {
        try
        {
            using var doc = JsonDocument.Parse(string.IsNullOrEmpty(e.DataJson) ? "{}" : e.DataJson);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Clone() : default;
        }
        catch (JsonException)
        {
            return default;
        }
    }

    internal static string? Str(JsonElement data, string key) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int? Int(JsonElement data, string key) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty(key, out var v) && v.TryGetInt32(out var n) ? n : null;

    private static DateTimeOffset? Time(JsonElement data, string key) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String
            && v.TryGetDateTimeOffset(out var t) ? t : null;

    private static double? Double(JsonElement data, string key) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}
