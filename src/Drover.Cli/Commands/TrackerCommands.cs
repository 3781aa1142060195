using System.CommandLine;
using System.Globalization;
using Drover.Cli.Output;
using Drover.Server.Trackers;
using Spectre.Console;

namespace Drover.Cli.Commands;

/// <summary><c>drover tracker sync|ls</c>: issue trackers polled for labelled issues (SPEC §12).</summary>
public static class TrackerCommands
{
    public static Command Create(GlobalOptions g)
    {
        var cmd = new Command("tracker", "Issue trackers whose labelled issues become jobs");
        cmd.Subcommands.Add(Sync(g));
        cmd.Subcommands.Add(List(g));
        return cmd;
    }

    private static Command Sync(GlobalOptions g)
    {
        var sync = new Command("sync", "Poll every tracker now: submit jobs for labelled issues, cancel queued jobs of closed ones");
        sync.SetHandler(g, async (r, s, ct) =>
        {
            var (api, owner) = await Runtime.ConnectAsync(s, ct);
            await using (owner)
            {
                var passes = await api.SyncTrackersAsync(ct);
                if (s.Json)
                {
                    Render.Json(new { trackers = passes });
                }
                else
                {
                    foreach (var p in passes)
                    {
                        Console.WriteLine(p.Error is { } error
                            ? $"{p.Tracker}: failed: {error}"
                            : $"{p.Tracker}: {N(p.Seen)} issues; jobs {N(p.Submitted)} submitted, {N(p.Updated)} updated, {N(p.Unchanged)} unchanged, {N(p.Cancelled)} cancelled"
                                + (p.Rejected > 0 ? $", {N(p.Rejected)} rejected" : ""));
                    }
                }

                return passes.Any(p => p.Error is not null) ? ExitCodes.Failed : ExitCodes.Ok;
            }
        });
        return sync;
    }

    private static Command List(GlobalOptions g)
    {
        var ls = new Command("ls", "Every tracker with its forge, poll interval and last poll");
        ls.SetHandler(g, async (r, s, ct) =>
        {
            var (api, owner) = await Runtime.ConnectAsync(s, ct);
            await using (owner)
            {
                var trackers = await api.TrackersAsync(ct);
                if (s.Json)
                    Render.Json(new { trackers });
                else if (trackers.Count == 0)
                    Console.WriteLine("no trackers ([[trackers]] in drover.toml)");
                else
                    Print(trackers);
            }

            return ExitCodes.Ok;
        });
        return ls;
    }

    private static void Print(IReadOnlyList<TrackerView> trackers)
    {
        var t = new Table().Border(TableBorder.Simple);
        foreach (var c in new[] { "TRACKER", "LABEL", "FORGE", "POLL", "LAST POLL", "OUTCOME" })
            t.AddColumn(c);
        foreach (var x in trackers)
        {
            t.AddRow(
                Markup.Escape(x.Tracker),
                Markup.Escape(x.Label),
                Markup.Escape(x.Host ?? "- (webhooks only)"),
                x.Poll,
                x.Last is { } last ? last.At.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "-",
                Markup.Escape(x.Last is null ? "-" : x.Last.Error ?? $"{N(x.Last.Seen)} issues, {N(x.Last.Submitted)} submitted"));
        }

        AnsiConsole.Write(t);
    }

    private static string N(int n) => n.ToString(CultureInfo.InvariantCulture);
}
