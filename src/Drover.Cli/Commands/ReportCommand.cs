using System.CommandLine;
using Drover.Cli.Output;
using Drover.Core;
using Drover.Server.Reports;

namespace Drover.Cli.Commands;

/// <summary>drover report: uptime, capacity, outcomes, losses and spend per day, and the next-phase gate.</summary>
public static class ReportCommand
{
    public static Command Create(GlobalOptions g)
    {
        var days = new Option<int?>("--days") { Description = "UTC days to cover, ending today (default [report] days, 30)" };
        var format = new Option<string?>("--format") { Description = "md (default) or json; --json is the same as --format json" };
        var cmd = new Command("report", "Fleet uptime, capacity use, job outcomes, worker losses and recovery, spend; and whether the next phase is ready")
        {
            days, format,
        };
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            var fmt = r.GetValue(format) ?? (s.Json ? "json" : "md");
            if (fmt is not ("md" or "json"))
                throw new JobSpecException("format", $"--format must be md or json, not \"{fmt}\"");
            if (r.GetValue(days) is < 1 or > FleetReportLoader.MaxDays)
                throw new JobSpecException("days", $"--days must be between 1 and {FleetReportLoader.MaxDays}");
            var (api, owner) = await Runtime.ConnectAsync(s, ct);
            await using (owner)
            {
                var report = await api.ReportAsync(r.GetValue(days) ?? 0, ct);
                if (fmt == "json")
                    Render.Json(report);
                else
                    Console.Out.Write(SafeText.Lines(ReportMarkdown.Render(report)));
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }
}
