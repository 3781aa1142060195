using System.Globalization;

namespace Drover.Server.Reports;

/// <summary>
/// Computes a <see cref="FleetReport"/> from its raw inputs, with no I/O (so tests build it from hand-made data).
/// Rules, per UTC day (today up to now):
/// <list type="bullet">
/// <item>uptime: share of the day when at least one live worker with slots could take work and the fleet was not paused;</item>
/// <item>capacity: busy slot time (attempt time on any worker) over available slot time (each worker's live time × its
/// slots; a pause does not remove slots, it only stops claims);</item>
/// <item>a day that ended before the store's history begins is not covered: no numbers, not counted, and missing for
/// the gate; the day history begins on is measured from its first record (the first event or worker row) on.</item>
/// </list>
/// </summary>
public static class FleetReportBuilder
{
    public const string MttrBasis = "same worker name registers again, from its last heartbeat";

    /// <summary>Midnight UTC starting the first of <paramref name="days"/> calendar days that end with today.</summary>
    public static DateTimeOffset WindowStart(DateTimeOffset now, int days) =>
        new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(-(days - 1));

    public static FleetReport Build(FleetReportInputs input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var now = input.Now.ToUniversalTime();
        var from = WindowStart(now, input.Days);
        var timeline = FleetTimeline.Build(input, from);
        var up = Span.Subtract(Span.Union(timeline.Live.Where(l => l.Slots > 0).Select(l => l.Span)), timeline.Paused);
        var attempts = input.Attempts.Select(a => (a, Span: new Span(a.StartedAt, a.EndedAt is { } end && end < now ? end : now))).ToList();
        var outcomes = JobOutcomes.From(input.Events);
        var coveredFrom = input.HistoryStart ?? DateTimeOffset.MaxValue;
        var uptimeTarget = input.Targets.UptimeTarget;

        var days = new List<ReportDay>();
        var tally = new Tally();
        for (var i = 0; i < input.Days; i++)
        {
            var start = from.AddDays(i);
            var end = start.AddDays(1) < now ? start.AddDays(1) : now;
            var date = DateOnly.FromDateTime(start.UtcDateTime);
            if (coveredFrom >= end || end <= start)
            {
                days.Add(new ReportDay(Date(date), false, null, null, false, new ReportJobs(0, 0, 0), Empty, 0, null, 0m, 0, 0m, 0, 0, 0, 0));
                continue;
            }

            // Events and attempt ends stamped exactly now belong to today.
            var until = end == now ? now.AddTicks(1) : end;
            // The day history begins on is measured from its first record on.
            var measured = coveredFrom > start ? coveredFrom : start;
            var day = new Tally
            {
                Up = Span.Overlap(up, measured, end),
                Covered = end - measured,
                Busy = attempts.Aggregate(TimeSpan.Zero, (sum, x) => sum + x.Span.Overlap(measured, end)),
                Available = timeline.Live.Aggregate(TimeSpan.Zero, (sum, l) => sum + (l.Span.Overlap(measured, end) * l.Slots)),
                Spend = attempts.Where(x => x.a.EndedAt is { } e && e >= start && e < until).Sum(x => x.a.CostUsd),
                GatewaySpend = input.GatewaySpend.GetValueOrDefault(date),
            };
            day.AddOutcomes(outcomes, start, until);
            day.AddLosses(timeline.Losses, start, until);
            var uptime = day.Uptime;
            var atTarget = uptime >= uptimeTarget;
            days.Add(new ReportDay(
                Date(date), true, Round(uptime), Round(day.Capacity), atTarget, day.Jobs, day.Classes, day.Losses.Count, Mttr(day.Losses),
                day.Spend, day.Recovered, day.GatewaySpend, Seconds(day.Up), Seconds(day.Covered), Seconds(day.Busy), Seconds(day.Available)));
            tally.Add(day);
            tally.DaysAtTarget += atTarget ? 1 : 0;
            tally.DaysCounted++;
        }

        var overall = new ReportOverall(
            Round(tally.Uptime), Round(tally.Capacity), tally.DaysAtTarget, tally.DaysCounted, tally.Jobs, tally.Classes, tally.Losses.Count,
            Mttr(tally.Losses), tally.Spend, tally.Recovered, MttrBasis, tally.GatewaySpend, Seconds(tally.Up), Seconds(tally.Covered),
            Seconds(tally.Busy), Seconds(tally.Available));
        var coveredStart = coveredFrom > from ? coveredFrom : from;
        var workers = Workers(timeline, attempts.Select(x => (x.a.Worker, x.Span)), coveredStart, now);
        var targets = new ReportTargets(input.Targets.UptimeTarget, input.Targets.CapacityTarget, input.Targets.Days);
        return new FleetReport(from, now, input.Days, targets, overall, days, workers, Gate(targets, tally, days, input.HistoryStart));
    }

    private static List<ReportWorker> Workers(FleetTimeline timeline, IEnumerable<(string Worker, Span Span)> attempts, DateTimeOffset from, DateTimeOffset to)
    {
        var busy = attempts.GroupBy(a => a.Worker, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Aggregate(TimeSpan.Zero, (sum, a) => sum + a.Span.Overlap(from, to)), StringComparer.Ordinal);
        var covered = to > from ? to - from : TimeSpan.Zero;
        var list = new List<ReportWorker>();
        foreach (var name in timeline.Live.Select(l => l.Worker).Union(busy.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var spans = timeline.Live.Where(l => l.Worker == name).ToList();
            var live = Span.Overlap(Span.Union(spans.Select(l => l.Span)), from, to);
            var available = spans.Aggregate(TimeSpan.Zero, (sum, l) => sum + (l.Span.Overlap(from, to) * l.Slots));
            var used = busy.GetValueOrDefault(name);
            if (live == TimeSpan.Zero && used == TimeSpan.Zero)
                continue;
            list.Add(new ReportWorker(
                name, timeline.Hosts.GetValueOrDefault(name) ?? "", Round(Share(live, covered)), Seconds(used), Seconds(available),
                Round(Share(used, available)), timeline.Losses.Count(l => l.Worker == name && l.NoticedAt >= from && l.NoticedAt < to)));
        }

        return list;
    }

    private static ReportGate Gate(ReportTargets targets, Tally tally, List<ReportDay> days, DateTimeOffset? historyStart)
    {
        var ic = CultureInfo.InvariantCulture;
        var missing = new List<string>();
        if (tally.DaysCounted < targets.Days)
        {
            var since = historyStart is { } h ? string.Create(ic, $", history starts {h.UtcDateTime:yyyy-MM-dd}") : ", no history yet";
            missing.Add(string.Create(ic, $"{tally.DaysCounted} of {targets.Days} days covered{since}"));
        }

        var below = days.Where(d => d.Covered && !d.AtTarget).ToList();
        if (below.Count > 0)
        {
            var shown = string.Join(", ", below.Take(5).Select(d => string.Create(ic, $"{d.Date} {Percent(d.Uptime)}")));
            missing.Add(string.Create(ic, $"{below.Count} day{(below.Count == 1 ? "" : "s")} below {Percent(targets.Uptime)} uptime: {shown}{(below.Count > 5 ? ", …" : "")}"));
        }

        if (tally.Capacity is not { } capacity)
            missing.Add("capacity unknown: no worker slot time in the window");
        else if (capacity < targets.Capacity)
            missing.Add($"capacity {Percent(capacity)} below {Percent(targets.Capacity)}");

        var line = missing.Count == 0 ? "Next phase: READY" : $"Next phase: NOT READY ({string.Join("; ", missing)})";
        return new ReportGate(missing.Count == 0, line, missing);
    }

    public static string Percent(double? share) =>
        share is { } s ? (s * 100).ToString(s * 100 % 1 == 0 ? "0" : "0.0", CultureInfo.InvariantCulture) + "%" : "-";

    private static readonly IReadOnlyDictionary<string, long> Empty = new SortedDictionary<string, long>(StringComparer.Ordinal);

    private static string Date(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    internal static double? Share(TimeSpan part, TimeSpan whole) => whole > TimeSpan.Zero ? part / whole : null;

    private static double? Round(double? x) => x is { } v ? Math.Round(v, 4) : null;

    private static double Seconds(TimeSpan t) => Math.Round(t.TotalSeconds, 1);

    internal static double? Mttr(IReadOnlyCollection<Loss> losses)
    {
        var back = losses.Where(l => l.BackAt is not null).Select(l => (l.BackAt!.Value - l.DiedAt).TotalSeconds).ToList();
        return back.Count == 0 ? null : Math.Round(back.Average(), 1);
    }
}
