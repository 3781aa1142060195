using System.Text.RegularExpressions;

namespace Drover.Cli.Output;

/// <summary>Rewrites System.CommandLine's parse errors that name .NET types ("as expected type 'System.Int64'").</summary>
public static partial class ParseErrors
{
    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for (?:option|command|argument) '(?<name>[^']*)' as expected type '(?<type>[^']*)'\.?$")]
    private static partial Regex TypedParse();

    public static string Humanize(string message)
    {
        var m = TypedParse().Match(message);
        if (!m.Success)
            return message;
        var type = m.Groups["type"].Value;
        var what = type.Contains("Int", StringComparison.Ordinal) ? "a whole number"
            : type.Contains("Double", StringComparison.Ordinal) || type.Contains("Decimal", StringComparison.Ordinal) ? "a number"
            : type.Contains("Boolean", StringComparison.Ordinal) ? "true or false"
            : "a valid value";
        return $"{m.Groups["name"].Value}: \"{m.Groups["value"].Value}\" is not {what}";
    }
}
