using Drover.Core.Jobs;

namespace Drover.Server.Reports;

/// <summary>Sums over one day or the whole window.</summary>
internal sealed class Tally
{
    public TimeSpan Up { get; set; }
    public TimeSpan Covered { get; set; }
    public TimeSpan Busy { get; set; }
    public TimeSpan Available { get; set; }
    public decimal Spend { get; set; }
    public decimal GatewaySpend { get; set; }
    public long Succeeded { get; set; }
    public long Failed { get; set; }
    public long Cancelled { get; set; }
    public SortedDictionary<string, long> Classes { get; } = new(StringComparer.Ordinal);
    public List<Loss> Losses { get; } = [];
    public int DaysAtTarget { get; set; }
    public int DaysCounted { get; set; }

    public double? Uptime => FleetReportBuilder.Share(Up, Covered);
    public double? Capacity => FleetReportBuilder.Share(Busy, Available);
    public ReportJobs Jobs => new(Succeeded, Failed, Cancelled);
    public int Recovered => Losses.Count(l => l.BackAt is not null);

    public void AddOutcomes(List<JobOutcome> outcomes, DateTimeOffset from, DateTimeOffset to)
    {
        foreach (var o in outcomes.Where(o => o.At >= from && o.At < to))
        {
            switch (o.Outcome)
            {
                case "succeeded":
                    Succeeded++;
                    break;
                case "cancelled":
                    Cancelled++;
                    break;
                default:
                    Failed++;
                    var cls = o.Class ?? FailureClass.Unknown;
                    Classes[cls] = Classes.GetValueOrDefault(cls) + 1;
                    break;
            }
        }
    }

    /// <summary>A loss counts on the day Drover noticed it (the worker.lost event).</summary>
    public void AddLosses(List<Loss> losses, DateTimeOffset from, DateTimeOffset to) =>
        Losses.AddRange(losses.Where(l => l.NoticedAt >= from && l.NoticedAt < to));

    public void Add(Tally day)
    {
        Up += day.Up;
        Covered += day.Covered;
        Busy += day.Busy;
        Available += day.Available;
        Spend += day.Spend;
        GatewaySpend += day.GatewaySpend;
        Succeeded += day.Succeeded;
        Failed += day.Failed;
        Cancelled += day.Cancelled;
        foreach (var (cls, n) in day.Classes)
            Classes[cls] = Classes.GetValueOrDefault(cls) + n;
        Losses.AddRange(day.Losses);
    }
}

/// <summary>A job reaching succeeded, failed or cancelled, from its event.</summary>
internal sealed record JobOutcome(DateTimeOffset At, string Outcome, string? Class);

internal static class JobOutcomes
{
    /// <summary>The event types that end a job: approve ends blocked → succeeded, reject → failed.</summary>
    public static readonly string[] EventTypes = ["job.succeeded", "job.approved", "job.failed", "job.rejected", "job.cancelled"];

    public static List<JobOutcome> From(IEnumerable<EventRecord> events) =>
        [.. events.Select(e => e.Type switch
        {
            "job.succeeded" or "job.approved" => new JobOutcome(e.At, "succeeded", null),
            "job.failed" or "job.rejected" => new JobOutcome(e.At, "failed", FleetTimeline.Str(FleetTimeline.Data(e), "class")),
            "job.cancelled" => new JobOutcome(e.At, "cancelled", null),
            _ => null,
        }).OfType<JobOutcome>()];
}
