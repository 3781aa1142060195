using System.Globalization;
using System.Text.RegularExpressions;

namespace Drover.Cli.Commands;

/// <summary>CLI durations: 500ms, 2s, 5m, 1h, 1d, or compounds like 1h30m.</summary>
public static partial class Durations
{
    public static TimeSpan Parse(string text, string option)
    {
        var m = Pattern().Match(text.Trim());
        if (!m.Success || m.Length == 0)
            throw new ArgumentException($"{option}: \"{text}\" is not a duration (like 500ms, 2s, 5m, 1h)");
        var total = TimeSpan.Zero;
        foreach (Capture c in m.Groups["part"].Captures)
        {
            var p = PartPattern().Match(c.Value);
            var n = double.Parse(p.Groups[1].Value, CultureInfo.InvariantCulture);
            total += p.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(n),
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                _ => TimeSpan.FromDays(n),
            };
        }

        return total;
    }

    [GeneratedRegex(@"^(?<part>\d+(\.\d+)?(ms|s|m|h|d))+$")]
    private static partial Regex Pattern();

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")]
    private static partial Regex PartPattern();
}
