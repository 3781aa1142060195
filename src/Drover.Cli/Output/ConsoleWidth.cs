using System.Globalization;
using Spectre.Console;

namespace Drover.Cli.Output;

/// <summary>
/// How wide human output may be. Spectre.Console assumes 80 columns when stdout is not a terminal, which folded every
/// row of `ls`/`show` piped into grep or a file; a pipe gets the full line instead, and <c>COLUMNS</c> wins over both.
/// </summary>
public static class ConsoleWidth
{
    /// <summary>Wide enough that no table row is ever folded for a pipe (tables do not expand to fill it).</summary>
    public const int Unlimited = 4096;

    /// <summary>The width for this process: COLUMNS when set to a positive number, else unlimited for a pipe, else null (the terminal's).</summary>
    public static int? Resolve(string? columns, bool outputRedirected) =>
        int.TryParse(columns, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
        : outputRedirected ? Unlimited
        : null;

    public static void Configure()
    {
        if (Resolve(Environment.GetEnvironmentVariable("COLUMNS"), Console.IsOutputRedirected) is { } width)
            AnsiConsole.Profile.Width = width;
    }
}
