using System.CommandLine;
using Drover.Cli;
using Drover.Cli.Commands;
using Drover.Cli.Output;

OwnerOnlyFiles.Apply();
ConsoleWidth.Configure();
var globals = new GlobalOptions();
var root = new RootCommand("drover: run a fleet of AI coding agents as a production service");
globals.AddTo(root);
root.Subcommands.Add(ServeCommands.Serve(globals));
root.Subcommands.Add(ServeCommands.Worker(globals));
root.Subcommands.Add(SubmitCommand.Create(globals));
foreach (var c in JobCommands.Create(globals))
    root.Subcommands.Add(c);
root.Subcommands.Add(ApprovalCommands.ApproveTool(globals));
root.Subcommands.Add(ApprovalCommands.List(globals));
root.Subcommands.Add(ScheduleCommands.Create(globals));
root.Subcommands.Add(ProposalCommands.Create(globals));
root.Subcommands.Add(TrackerCommands.Create(globals));
root.Subcommands.Add(BenchCommand.Create(globals));
root.Subcommands.Add(DashboardCommand.Create(globals));
foreach (var c in FleetCommands.Create(globals))
    root.Subcommands.Add(c);

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var e in parsed.Errors)
        Console.Error.WriteLine($"drover: invalid input: {ParseErrors.Humanize(e.Message)}");
    Console.Error.WriteLine("run 'drover --help' for usage");
    return ExitCodes.BadInput;
}

return await parsed.InvokeAsync();
