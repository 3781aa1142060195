using Drover.Core;
using Drover.Core.Configuration;
using Drover.Core.Jobs;
using Drover.Core.Storage;

namespace Drover.Server.Reports;

/// <summary>Reads a report's inputs from the store in bounded pages, then builds it.</summary>
public static class FleetReportLoader
{
    public const int MaxDays = 366;
    private const int Page = 2000;

    private static readonly string[] LivenessTypes = ["worker.started", "worker.stopped", "worker.lost", "fleet.paused", "fleet.resumed"];

    public static async Task<FleetReport> LoadAsync(
        IJobStore store, ReportConfig targets, int days, DateTimeOffset now, TimeSpan staleAfter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(targets);
        if (days is < 1 or > MaxDays)
            throw new JobSpecException("days", $"days must be between 1 and {MaxDays}");
        var from = FleetReportBuilder.WindowStart(now, days);
        var first = await store.EventListAsync(new EventListParams(0, 1), ct);
        var workers = await store.WorkerListAsync(ct);
        DateTimeOffset? history = first.Count > 0 ? first[0].At : null;
        foreach (var w in workers)
            history = history is { } h && h <= w.StartedAt ? h : w.StartedAt;
        var inputs = new FleetReportInputs(
            now,
            days,
            targets,
            await EventsAsync(store, from, ct),
            workers,
            await store.FleetGetAsync(ct),
            await AttemptsAsync(store, from, now, ct),
            history,
            await GatewaySpendAsync(store, from, days, ct),
            staleAfter);
        return FleetReportBuilder.Build(inputs);
    }

    private static async Task<List<EventRecord>> EventsAsync(IJobStore store, DateTimeOffset from, CancellationToken ct)
    {
        var all = new List<EventRecord>();
        var p = new EventListParams(0, Page) { Types = [.. LivenessTypes, .. JobOutcomes.EventTypes], Since = from };
        while (true)
        {
            var page = await store.EventListAsync(p, ct);
            all.AddRange(page);
            if (page.Count < Page)
                return all;
            p = p with { AfterId = page[^1].Id };
        }
    }

    private static async Task<List<AttemptSpanRecord>> AttemptsAsync(IJobStore store, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        var all = new List<AttemptSpanRecord>();
        var p = new AttemptWindowParams(from, to, Page);
        while (true)
        {
            var page = await store.AttemptListBetweenAsync(p, ct);
            all.AddRange(page);
            if (page.Count < Page)
                return all;
            p = p with { AfterJobId = page[^1].JobId, AfterN = page[^1].N };
        }
    }

    /// <summary>
    /// Gateway spend per day, as `drover usage` sums it: spend since each midnight, less spend since the next one.
    /// </summary>
    private static async Task<Dictionary<DateOnly, decimal>> GatewaySpendAsync(IJobStore store, DateTimeOffset from, int days, CancellationToken ct)
    {
        var perDay = new Dictionary<DateOnly, decimal>();
        var later = 0m;
        for (var i = days - 1; i >= 0; i--)
        {
            var start = from.AddDays(i);
            var since = (await store.SpendTotalsAsync(start, "provider", ct)).Sum(t => t.CostUsd);
            perDay[DateOnly.FromDateTime(start.UtcDateTime)] = since - later;
            later = since;
        }

        return perDay;
    }
}
