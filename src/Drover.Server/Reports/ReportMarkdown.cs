using System.Globalization;
using System.Text;

namespace Drover.Server.Reports;

/// <summary>A <see cref="FleetReport"/> as markdown: the same numbers as its JSON, rounded for reading.</summary>
public static class ReportMarkdown
{
    private static readonly CultureInfo Ic = CultureInfo.InvariantCulture;

    public static string Render(FleetReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var md = new StringBuilder();
        md.Append(Ic, $"# Fleet report {r.From:yyyy-MM-dd} – {r.To:yyyy-MM-dd HH:mm}Z ({r.DaysRequested} days)\n\n");
        md.Append(Ic, $"Targets: uptime {Pct(r.Targets.Uptime)}, capacity {Pct(r.Targets.Capacity)}, {r.Targets.Days} days.\n\n");
        md.Append("| date | uptime | capacity | at target | succeeded | failed | cancelled | losses | MTTR | spend |\n");
        md.Append("|---|---:|---:|:---:|---:|---:|---:|---:|---:|---:|\n");
        foreach (var d in r.Days)
        {
            if (!d.Covered)
            {
                md.Append(Ic, $"| {d.Date} | not covered | - | - | - | - | - | - | - | - |\n");
                continue;
            }

            md.Append(Ic, $"| {d.Date} | {Pct(d.Uptime)} | {Pct(d.Capacity)} | {(d.AtTarget ? "yes" : "no")} | {d.Jobs.Succeeded} | {d.Jobs.Failed} | ")
                .Append(Ic, $"{d.Jobs.Cancelled} | {d.WorkerLosses} | {Duration(d.MttrS)} | {Usd(d.SpendUsd)} |\n");
        }

        var o = r.Overall;
        md.Append('\n')
            .Append(Ic, $"- uptime: {Pct(o.Uptime)} over {o.DaysCounted} covered days; {o.DaysAtTarget} of them at ≥ {Pct(r.Targets.Uptime)}\n")
            .Append(Ic, $"- capacity: {Pct(o.Capacity)} ({Hours(o.BusyS)} busy of {Hours(o.AvailableS)} available slot time)\n")
            .Append(Ic, $"- jobs: {o.Jobs.Succeeded} succeeded, {o.Jobs.Failed} failed, {o.Jobs.Cancelled} cancelled")
            .Append(o.FailureClasses.Count == 0 ? "" : " (" + string.Join(", ", o.FailureClasses.Select(c => string.Create(Ic, $"{c.Key} {c.Value}"))) + ")")
            .Append('\n')
            .Append(Ic, $"- worker losses: {o.WorkerLosses}, {o.RecoveredLosses} recovered; MTTR {Duration(o.MttrS)} ({o.MttrBasis})\n")
            .Append(Ic, $"- spend: {Usd(o.SpendUsd)} attempt usage, {Usd(o.GatewaySpendUsd)} through the gateway\n\n");

        md.Append("| worker | host | uptime | busy | available | capacity | losses |\n|---|---|---:|---:|---:|---:|---:|\n");
        foreach (var w in r.Workers)
            md.Append(Ic, $"| {w.Name} | {w.Host} | {Pct(w.Uptime)} | {Hours(w.BusyS)} | {Hours(w.AvailableS)} | {Pct(w.Capacity)} | {w.Losses} |\n");
        return md.Append('\n').Append(r.Gate.Line).Append('\n').ToString();
    }

    private static string Pct(double? share) => FleetReportBuilder.Percent(share);

    private static string Usd(decimal usd) => "$" + usd.ToString("0.00", Ic);

    private static string Hours(double seconds) => (seconds / 3600).ToString("0.0", Ic) + " h";

    private static string Duration(double? seconds) => seconds switch
    {
        null => "-",
        < 60 => seconds.Value.ToString("0", Ic) + " s",
        < 3600 => (seconds.Value / 60).ToString("0.0", Ic) + " min",
        _ => (seconds.Value / 3600).ToString("0.0", Ic) + " h",
    };
}
