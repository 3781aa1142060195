using System.CommandLine;
using System.Text.Json;
using Drover.Core;
using Drover.Server.Jobs;

namespace Drover.Cli.Commands;

/// <summary>Runs a command body and maps Drover's exceptions to SPEC §10 exit codes with a clear message.</summary>
public static class CommandBase
{
    public static void SetHandler(this Command command, GlobalOptions g, Func<ParseResult, GlobalOptions.Settings, CancellationToken, Task<int>> body)
    {
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var s = g.Read(r);
            try
            {
                return await body(r, s, ct);
            }
            catch (Exception ex) when (Classify(ex) is { } code)
            {
                Fail(s, ex, code);
                return code;
            }
        });
    }

    private static int? Classify(Exception ex) => ex switch
    {
        JobSpecException or ArgumentException or FormatException => ExitCodes.BadInput,
        Core.Configuration.DroverConfigException or HomeMissingException => ExitCodes.BadInput,
        NotFoundException => ExitCodes.NotFound,
        ConflictException => ExitCodes.Failed,
        ServerUnreachableException => ExitCodes.Unreachable,
        StorageException or DroverException => ExitCodes.Failed,
        OperationCanceledException => ExitCodes.Failed,
        _ => null,
    };

    private static void Fail(GlobalOptions.Settings s, Exception ex, int code)
    {
        var field = (ex as JobSpecException)?.Field;
        var message = ex is OperationCanceledException ? "interrupted" : ex.Message;
        if (s.Json)
        {
            var err = new ErrorView(message, field, (ex as ConflictException)?.JobId, (ex as ConflictException)?.State, (ex as JobSpecException)?.Errors);
            Console.Out.WriteLine(JsonSerializer.Serialize(err, DroverJson.Options));
        }

        var prefix = code switch
        {
            ExitCodes.BadInput => "invalid input",
            ExitCodes.NotFound => "not found",
            ExitCodes.Unreachable => "unreachable",
            _ => "error",
        };
        // A rejected spec reports every problem, one per line.
        var errors = (ex as JobSpecException)?.Errors ?? [new JobSpecError(field, message)];
        foreach (var e in errors)
        {
            var text = ex is OperationCanceledException ? message : e.Message;
            Console.Error.WriteLine(e.Field is null || text.StartsWith(e.Field, StringComparison.Ordinal)
                ? $"drover: {prefix}: {text}"
                : $"drover: {prefix}: {e.Field}: {text}");
        }
    }
}
