using System.CommandLine;
using System.Globalization;
using Drover.Cli.Output;
using Drover.Server.Jobs;
using Spectre.Console;

namespace Drover.Cli.Commands;

/// <summary><c>drover proposals [--json]</c>, <c>drover proposals accept ID</c>, <c>drover proposals reject ID [--reason TEXT]</c> (SPEC §12).</summary>
public static class ProposalCommands
{
    public static Command Create(GlobalOptions g)
    {
        var cmd = new Command("proposals", "Jobs other jobs proposed (DROVER_PROPOSE), waiting for a person to accept or reject them");
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            var (api, owner) = await Runtime.ConnectAsync(s, ct);
            await using (owner)
            {
                var proposals = await api.ProposalsAsync(ct);
                if (s.Json)
                    Render.Json(new { proposals });
                else if (proposals.Count == 0)
                    AnsiConsole.MarkupLine("[green]no proposals waiting[/]");
                else
                    Print(proposals);
            }

            return ExitCodes.Ok;
        });
        cmd.Subcommands.Add(Accept(g));
        cmd.Subcommands.Add(Reject(g));
        return cmd;
    }

    private static Command Accept(GlobalOptions g)
    {
        var id = new Argument<long>("id") { Description = "The proposed job's id (from drover proposals)" };
        var cmd = new Command("accept", "Queue a proposed job: it runs like any other") { id };
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            var (api, owner) = await Runtime.ConnectAsync(s, ct);
            await using (owner)
            {
                var job = await api.AcceptProposalAsync(r.GetValue(id), ct);
                if (s.Json)
                    Render.Json(job);
                else
                    Console.WriteLine($"proposal {job.Id} accepted: {job.Title} is {job.State}");
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Reject(GlobalOptions g)
    {
        var id = new Argument<long>("id") { Description = "The proposed job's id (from drover proposals)" };
        var reason = new Option<string?>("--reason") { Description = "Why (kept in the job's reason: \"proposal rejected: REASON\")" };
        var cmd = new Command("reject", "Cancel a proposed job; the same proposal is not made again for [proposals] remember") { id, reason };
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            var (api, owner) = await Runtime.ConnectAsync(s, ct);
            await using (owner)
            {
                var job = await api.RejectProposalAsync(r.GetValue(id), r.GetValue(reason), ct);
                if (s.Json)
                    Render.Json(job);
                else
                    Console.WriteLine($"proposal {job.Id} rejected: {job.Reason}");
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static void Print(IReadOnlyList<ProposalView> proposals)
    {
        var t = new Table().Border(TableBorder.Simple).Title("proposals waiting for a person (drover proposals accept|reject ID)");
        foreach (var c in new[] { "ID", "TITLE", "PROPOSED BY", "AGE", "ENGINE", "REPO" })
            t.AddColumn(c);
        foreach (var p in proposals)
        {
            t.AddRow(
                p.Id.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(Cut(p.Title, 60)),
                "job " + p.ProposedBy.ToString(CultureInfo.InvariantCulture),
                Age(p.AgeS),
                Markup.Escape(p.Engine),
                Markup.Escape(Cut(p.Repo, 40)));
        }

        AnsiConsole.Write(t);
    }

    private static string Age(double seconds) => seconds switch
    {
        < 120 => $"{seconds.ToString("0", CultureInfo.InvariantCulture)}s",
        < 7200 => $"{(seconds / 60).ToString("0", CultureInfo.InvariantCulture)}m",
        < 172_800 => $"{(seconds / 3600).ToString("0", CultureInfo.InvariantCulture)}h",
        _ => $"{(seconds / 86_400).ToString("0", CultureInfo.InvariantCulture)}d",
    };

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
