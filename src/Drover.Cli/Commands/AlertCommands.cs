using System.CommandLine;
using Drover.Cli.Output;
using Drover.Server.Jobs;
using Spectre.Console;

namespace Drover.Cli.Commands;

/// <summary><c>drover alerts [--all]</c> and <c>drover alerts ack ID</c>.</summary>
public static class AlertCommands
{
    public static Command Create(GlobalOptions g)
    {
        var all = new Option<bool>("--all") { Description = "Acknowledged alerts too (the last 500)" };
        var cmd = new Command("alerts", "Open alerts, newest first: what needs you, naming the worker, job or provider and the reason") { all };
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            var (api, owner) = await Runtime.ConnectAsync(s, ct);
            await using (owner)
            {
                var alerts = await api.AlertsAsync(r.GetValue(all), ct);
                if (s.Json)
                    Render.Json(new { alerts });
                else
                    Print(alerts);
            }

            return ExitCodes.Ok;
        });

        var id = new Argument<long>("id") { Description = "Alert id (from drover alerts)" };
        var ack = new Command("ack", "Acknowledge an alert: it leaves the open list (a new one with the same key can be raised after the cooldown)") { id };
        ack.SetHandler(g, async (r, s, ct) =>
        {
            var (api, owner) = await Runtime.ConnectAsync(s, ct);
            await using (owner)
            {
                var alert = await api.AckAlertAsync(r.GetValue(id), ct);
                if (s.Json)
                    Render.Json(alert);
                else
                    Console.WriteLine($"alert {alert.Id} acknowledged: {SafeText.Line(alert.Message)}");
            }

            return ExitCodes.Ok;
        });
        cmd.Subcommands.Add(ack);
        return cmd;
    }

    private static void Print(IReadOnlyList<AlertView> alerts)
    {
        if (alerts.Count == 0)
        {
            AnsiConsole.MarkupLine("[green]no open alerts[/]");
            return;
        }

        var now = DateTimeOffset.UtcNow;
        var t = new Table().Border(TableBorder.Simple);
        foreach (var c in new[] { "ID", "WHEN", "COUNT", "ALERT", "DELIVERY" })
            t.AddColumn(c);
        foreach (var a in alerts)
        {
            var message = a.AckedAt is null ? Render.Text(a.Message) : $"[grey]{Render.Text(a.Message)} ({Render.Text(a.AckedBy ?? "acked")})[/]";
            t.AddRow(
                a.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Ago(now - a.FirstAt),
                a.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                message,
                Render.Text(a.Delivery ?? (a.DeliveredAt is null ? "-" : "")));
        }

        AnsiConsole.Write(t);
    }

    private static string Ago(TimeSpan t) => t.TotalMinutes < 1 ? $"{t.TotalSeconds:0}s ago"
        : t.TotalHours < 1 ? $"{t.TotalMinutes:0}m ago"
        : t.TotalDays < 1 ? $"{t.TotalHours:0}h ago"
        : $"{t.TotalDays:0}d ago";
}
