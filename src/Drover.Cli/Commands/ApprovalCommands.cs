using System.CommandLine;
using System.Globalization;
using Drover.Cli.Output;
using Drover.Server.Jobs;
using Spectre.Console;

namespace Drover.Cli.Commands;

/// <summary><c>drover approvals [--job N] [--all]</c> and <c>drover approve-tool ID allow|deny [--always]</c> (SPEC §13).</summary>
public static class ApprovalCommands
{
    public static Command List(GlobalOptions g)
    {
        var job = new Option<long?>("--job") { Description = "Only this job's tool calls" };
        var all = new Option<bool>("--all") { Description = "Decided calls too, with who decided" };
        var cmd = new Command("approvals", "Tool calls waiting for a person to allow or deny them, oldest first") { job, all };
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            var (api, owner) = await Runtime.ConnectAsync(s, ct);
            await using (owner)
            {
                var approvals = await api.ApprovalsAsync(r.GetValue(job), r.GetValue(all), ct);
                if (s.Json)
                    Render.Json(new { approvals });
                else if (approvals.Count == 0)
                    AnsiConsole.MarkupLine("[green]no tool calls waiting[/]");
                else
                    Print(approvals);
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    public static Command ApproveTool(GlobalOptions g)
    {
        var id = new Argument<long>("id") { Description = "Tool call id (from drover show or drover approvals)" };
        var decision = new Argument<string>("decision") { Description = "allow or deny" };
        decision.AcceptOnlyFromAmong("allow", "deny");
        var always = new Option<bool>("--always")
        {
            Description = "Decide this exact call (for Bash: this exact command) the same way for the rest of the job",
        };
        var cmd = new Command("approve-tool", "Allow or deny a tool call an agent is waiting on") { id, decision, always };
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            var (api, owner) = await Runtime.ConnectAsync(s, ct);
            await using (owner)
            {
                var a = await api.DecideToolAsync(r.GetValue(id), r.GetValue(decision)!, r.GetValue(always), "cli", ct);
                if (s.Json)
                    Render.Json(a);
                else
                    Console.WriteLine($"tool call {a.Id} of job {a.JobId} {(a.Decision == "allow" ? "allowed" : "denied")}: {a.Pattern}{(a.Always ? " (from now on for this job)" : "")}");
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>The table <c>drover show</c> and <c>drover approvals</c> print.</summary>
    public static void Print(IReadOnlyList<ApprovalView> approvals)
    {
        var t = new Table().Border(TableBorder.Simple).Title("tool calls waiting for a person (drover approve-tool ID allow|deny)");
        foreach (var c in new[] { "ID", "JOB", "ATTEMPT", "AGE", "TOOL", "ARGUMENTS", "DECIDED" })
            t.AddColumn(c);
        foreach (var a in approvals)
        {
            t.AddRow(
                a.Id.ToString(CultureInfo.InvariantCulture),
                a.JobId.ToString(CultureInfo.InvariantCulture),
                a.Attempt.ToString(CultureInfo.InvariantCulture),
                $"{a.AgeS.ToString("0", CultureInfo.InvariantCulture)}s",
                Markup.Escape(a.Tool),
                Markup.Escape(Cut(a.Arguments, 80)),
                a.Decision is { } d ? Markup.Escape($"{d} by {a.DecidedBy}{(a.Always ? " (always)" : "")}") : "pending");
        }

        AnsiConsole.Write(t);
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
