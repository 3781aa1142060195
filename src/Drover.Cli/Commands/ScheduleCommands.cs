using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Drover.Cli.Output;
using Drover.Server.Jobs;
using Spectre.Console;

namespace Drover.Cli.Commands;

/// <summary><c>drover schedule add|ls|rm|run</c>: cron schedules that submit a job template (SPEC §12).</summary>
public static class ScheduleCommands
{
    public static Command Create(GlobalOptions g)
    {
        var cmd = new Command("schedule", "Cron schedules that submit a job on every tick");
        cmd.Subcommands.Add(Add(g));
        cmd.Subcommands.Add(List(g));
        cmd.Subcommands.Add(Remove(g));
        cmd.Subcommands.Add(Run(g));
        return cmd;
    }

    private static Command Add(GlobalOptions g)
    {
        var name = new Argument<string>("name") { Description = "Schedule name (letters, digits, _ . -)" };
        var cron = new Option<string>("--cron") { Description = "Cron expression: 5 fields, or 6 with seconds first (\"0 3 * * *\")", Required = true };
        var zone = new Option<string?>("--timezone", "--tz") { Description = "IANA time zone the expression is read in (default UTC)" };
        var overlap = new Option<string?>("--overlap") { Description = "skip (default): no job while the previous one is unfinished; queue: always" };
        overlap.AcceptOnlyFromAmong("skip", "queue");
        var catchUp = new Option<string?>("--catch-up") { Description = "once (default): one job for ticks missed while no serve ran; skip: none" };
        catchUp.AcceptOnlyFromAmong("once", "skip");
        var replace = new Option<bool>("--replace") { Description = "Replace a schedule of that name added by hand" };
        var file = new Option<string?>("--file", "-f") { Description = "The job template: a job file (.json, or .md with YAML front matter)" };
        var prompt = new Option<string?>("--prompt") { Description = "The template's prompt" };
        var engine = new Option<string?>("--engine", "-e") { Description = "The template's engine" };
        var command = new Option<string?>("--command", "-c") { Description = "For the shell engine: the command to run" };
        var repo = new Option<string?>("--repo") { Description = "Workspace source (default: current directory)" };
        var profile = new Option<string?>("--profile") { Description = "Profile of defaults from drover.toml" };
        var title = new Option<string?>("--title") { Description = "Short label of each job" };
        var add = new Command("add", "Add a schedule (stored in the store; [[schedules]] in drover.toml are synced at serve start)") { name };
        foreach (var o in new Option[] { cron, zone, overlap, catchUp, replace, file, prompt, engine, command, repo, profile, title })
            add.Options.Add(o);
        add.SetHandler(g, async (r, s, ct) =>
        {
            var flags = new JsonObject();
            foreach (var (key, option) in new[] { ("prompt", prompt), ("engine", engine), ("command", command), ("repo", repo), ("profile", profile), ("title", title) })
            {
                if (r.GetValue(option) is { } v)
                    flags[key] = v;
            }

            byte[]? bytes = null;
            var format = Core.Specs.SpecFileFormat.Json;
            if (r.GetValue(file) is { } path)
            {
                format = Core.Specs.JobSpecParser.FileFormat(path);
                if (!File.Exists(path))
                    throw new Core.JobSpecException("file", $"job file \"{path}\" does not exist");
                bytes = await File.ReadAllBytesAsync(path, ct);
            }

            var template = Core.Specs.JobSpecParser.MergeSubmission(bytes, format, flags);
            var config = await Runtime.LoadConfigAsync(Server.Hosting.DroverHome.Resolve(s.Home), ct);
            SubmitCommand.DefaultRepo(template, config, Environment.CurrentDirectory);
            var (api, owner) = await Runtime.ConnectAsync(s, ct, requireHome: false);
            await using (owner)
            {
                var added = await api.AddScheduleAsync(
                    new ScheduleAddRequest(r.GetValue(name)!, r.GetValue(cron)!, r.GetValue(zone), r.GetValue(overlap), r.GetValue(catchUp), template, r.GetValue(replace)), ct);
                if (s.Json)
                    Render.Json(added);
                else
                    Console.WriteLine($"schedule {added.Name} added; next run {Local(added.NextRun)} ({added.Timezone} {added.Cron})");
            }

            return ExitCodes.Ok;
        });
        return add;
    }

    private static Command List(GlobalOptions g)
    {
        var ls = new Command("ls", "Every schedule with its next run and last job");
        ls.SetHandler(g, async (r, s, ct) =>
        {
            var (api, owner) = await Runtime.ConnectAsync(s, ct);
            await using (owner)
            {
                var schedules = await api.SchedulesAsync(ct);
                if (s.Json)
                    Render.Json(new { schedules });
                else if (schedules.Count == 0)
                    Console.WriteLine("no schedules (drover schedule add, or [[schedules]] in drover.toml)");
                else
                    Print(schedules);
            }

            return ExitCodes.Ok;
        });
        return ls;
    }

    private static Command Remove(GlobalOptions g)
    {
        var name = new Argument<string>("name") { Description = "Schedule name" };
        var rm = new Command("rm", "Remove a schedule added with drover schedule add") { name };
        rm.SetHandler(g, async (r, s, ct) =>
        {
            var (api, owner) = await Runtime.ConnectAsync(s, ct);
            await using (owner)
            {
                await api.RemoveScheduleAsync(r.GetValue(name)!, ct);
                if (s.Json)
                    Render.Json(new { removed = r.GetValue(name) });
                else
                    Console.WriteLine($"schedule {r.GetValue(name)} removed");
            }

            return ExitCodes.Ok;
        });
        return rm;
    }

    private static Command Run(GlobalOptions g)
    {
        var name = new Argument<string>("name") { Description = "Schedule name" };
        var run = new Command("run", "Submit one job of a schedule now") { name };
        run.SetHandler(g, async (r, s, ct) =>
        {
            var (api, owner) = await Runtime.ConnectAsync(s, ct);
            await using (owner)
            {
                var submitted = await api.RunScheduleAsync(r.GetValue(name)!, ct);
                if (s.Json)
                    Render.Json(submitted.Job);
                else
                    Console.WriteLine($"job {submitted.Job.Id} {submitted.Outcome} ({submitted.Job.State})");
            }

            return ExitCodes.Ok;
        });
        return run;
    }

    private static void Print(IReadOnlyList<ScheduleView> schedules)
    {
        var t = new Table().Border(TableBorder.Simple);
        foreach (var c in new[] { "NAME", "CRON", "TZ", "NEXT RUN", "LAST JOB", "OVERLAP", "CATCH-UP", "FROM" })
            t.AddColumn(c);
        foreach (var x in schedules)
        {
            t.AddRow(
                Markup.Escape(x.Name),
                Markup.Escape(x.Cron),
                Markup.Escape(x.Timezone),
                Local(x.NextRun),
                x.LastJob is { } id ? $"{id.ToString(CultureInfo.InvariantCulture)} {x.LastJobState}" : "-",
                x.Overlap,
                x.CatchUp,
                x.FromConfig ? "drover.toml" : "cli");
        }

        AnsiConsole.Write(t);
    }

    private static string Local(DateTimeOffset at) =>
        at.Year >= 9999 ? "never" : at.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);
}
