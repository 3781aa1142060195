using Drover.Core.Configuration;
using Drover.Core.Jobs;
using Drover.Core.Storage;

namespace Drover.Server.Reports;

/// <summary>
/// <c>drover report</c> / <c>GET /api/report</c>: is the fleet getting more reliable? Per UTC day and over the window:
/// uptime, capacity use, job outcomes, worker losses and recovery, spend, and the gate to the next phase.
/// Shares are 0..1 (null where nothing was measured); durations are seconds.
/// </summary>
public sealed record FleetReport(
    DateTimeOffset From,
    DateTimeOffset To,
    int DaysRequested,
    ReportTargets Targets,
    ReportOverall Overall,
    IReadOnlyList<ReportDay> Days,
    IReadOnlyList<ReportWorker> Workers,
    ReportGate Gate);

public sealed record ReportTargets(double Uptime, double Capacity, int Days);

public sealed record ReportJobs(long Succeeded, long Failed, long Cancelled);

/// <param name="MttrS">Mean seconds from a lost worker's last heartbeat to the same worker name registering again
/// (see <see cref="MttrBasis"/>); null when no loss in the window recovered.</param>
/// <param name="SpendUsd">Attempt usage cost (what agents reported, or priced from [prices]) of attempts that ended then.</param>
/// <param name="GatewaySpendUsd">Cost of the requests that went through Drover's gateway then (may overlap SpendUsd).</param>
public sealed record ReportOverall(
    double? Uptime,
    double? Capacity,
    int DaysAtTarget,
    int DaysCounted,
    ReportJobs Jobs,
    IReadOnlyDictionary<string, long> FailureClasses,
    int WorkerLosses,
    double? MttrS,
    decimal SpendUsd,
    int RecoveredLosses,
    string MttrBasis,
    decimal GatewaySpendUsd,
    double UpS,
    double CoveredS,
    double BusyS,
    double AvailableS);

/// <param name="Date">The UTC calendar day, yyyy-MM-dd.</param>
/// <param name="Covered">False for a day before the store's history begins: no numbers, and the gate counts it missing.</param>
/// <param name="CoveredS">Seconds of the day measured: the whole day, from the first record on for the day history begins, or up to now for today.</param>
public sealed record ReportDay(
    string Date,
    bool Covered,
    double? Uptime,
    double? Capacity,
    bool AtTarget,
    ReportJobs Jobs,
    IReadOnlyDictionary<string, long> FailureClasses,
    int WorkerLosses,
    double? MttrS,
    decimal SpendUsd,
    int RecoveredLosses,
    decimal GatewaySpendUsd,
    double UpS,
    double CoveredS,
    double BusyS,
    double AvailableS);

/// <param name="Uptime">Share of the covered time this worker was live (registered, heartbeating).</param>
public sealed record ReportWorker(string Name, string Host, double? Uptime, double BusyS, double AvailableS, double? Capacity, int Losses);

public sealed record ReportGate(bool Ready, string Line, IReadOnlyList<string> Missing);

/// <summary>Everything a report is computed from, read from the store by <see cref="FleetReportLoader"/> or made by hand in tests.</summary>
/// <param name="Events">Worker, fleet pause and job outcome events at or after the window's start, oldest first.</param>
/// <param name="HistoryStart">When the store's history begins (its first event); days before it are not covered.</param>
/// <param name="GatewaySpend">Gateway spend per UTC day (missing days: none).</param>
/// <param name="StaleAfter">A live worker silent longer than this counts as down since its last heartbeat.</param>
public sealed record FleetReportInputs(
    DateTimeOffset Now,
    int Days,
    ReportConfig Targets,
    IReadOnlyList<EventRecord> Events,
    IReadOnlyList<WorkerRecord> Workers,
    FleetState Fleet,
    IReadOnlyList<AttemptSpanRecord> Attempts,
    DateTimeOffset? HistoryStart,
    IReadOnlyDictionary<DateOnly, decimal> GatewaySpend,
    TimeSpan StaleAfter);
