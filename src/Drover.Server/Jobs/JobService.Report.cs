using Drover.Server.Reports;

namespace Drover.Server.Jobs;

public sealed partial class JobService
{
    /// <summary>A live worker silent longer than the heartbeat timeout counts as down from its last heartbeat.</summary>
    public Task<FleetReport> ReportAsync(int days, CancellationToken ct) =>
        FleetReportLoader.LoadAsync(_store, _report, days == 0 ? _report.Days : days, _time.GetUtcNow(), _heartbeatTimeout, ct);
}
