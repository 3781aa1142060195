using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Drover.Core.Specs;

/// <summary>The grammars and limits of SPEC §3, in one place so the CLI, API and docs agree.</summary>
internal static partial class SpecGrammar
{
    public const int MaxPromptBytes = 1024 * 1024;
    public const int MaxCommandBytes = 64 * 1024;
    public const int MaxEnvValueBytes = 32 * 1024;
    public const int MaxEnv = 200;
    public const int MaxSpecBytes = 2 * 1024 * 1024;
    public const int MaxAfter = 100;
    public const int MaxLabels = 64;
    public const int MaxLabelValue = 256;
    public const int MaxTitle = 200;
    public const int DefaultTitleLength = 80;
    public const int MaxLock = 200;
    public const int MaxShortText = 1024;
    public const decimal MaxUsd = 1_000_000m;
    public static readonly TimeSpan MinDuration = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(7);

    [GeneratedRegex(@"^[a-z][a-z0-9_-]{0,31}$")]
    public static partial Regex EngineName();

    [GeneratedRegex(@"^[A-Za-z0-9_.:-]+((>=|<=|==|!=|=|>|<)[0-9][0-9A-Za-z.+-]*)?$")]
    public static partial Regex Capability();

    [GeneratedRegex(@"^[A-Za-z0-9_.:/#-]{1,200}$")]
    public static partial Regex Key();

    [GeneratedRegex(@"^[A-Za-z0-9_./-]{1,63}$")]
    public static partial Regex LabelKey();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    public static partial Regex EnvName();

    [GeneratedRegex(@"^[a-z]+:[^\s]+$")]
    public static partial Regex Tracker();

    [GeneratedRegex(@"^[A-Za-z0-9_.-]{1,64}$")]
    public static partial Regex ProfileName();

    [GeneratedRegex(@"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")]
    private static partial Regex DurationText();

    public static bool IsAllDigits(string s) => s.Length > 0 && s.All(char.IsAsciiDigit);

    /// <summary>Parses <c>90s</c>, <c>45m</c>, <c>2h</c>, <c>1d</c>, a compound like <c>1h30m</c>, or a bare number of seconds
    /// (<c>--timeout 90</c> from a flag, as JSON's 90 already is); no range check.</summary>
    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = default;
        if (IsAllDigits(text))
            text += "s";
        var m = DurationText().Match(text);
        if (text.Length == 0 || !m.Success)
            return false;
        long seconds = 0;
        long[] unit = [86400, 3600, 60, 1];
        for (var i = 0; i < 4; i++)
        {
            var g = m.Groups[i + 1];
            if (!g.Success)
                continue;
            // More than ten digits is beyond any range we accept; cap it so the sum cannot overflow.
            var n = g.Value.Length > 10 ? 9_999_999_999L : long.Parse(g.Value, CultureInfo.InvariantCulture);
            seconds += n * unit[i];
        }

        // Anything past ~300 years is out of every range; clamp so TimeSpan cannot overflow.
        value = TimeSpan.FromSeconds(Math.Min(seconds, 10_000_000_000L));
        return true;
    }

    /// <summary>Formats a duration the way users write it (<c>1h30m</c>, <c>0s</c>).</summary>
    public static string FormatDuration(TimeSpan value)
    {
        var total = (long)Math.Floor(value.TotalSeconds);
        if (total == 0)
            return "0s";
        var sb = new StringBuilder();
        (long Size, char Unit)[] units = [(86400, 'd'), (3600, 'h'), (60, 'm'), (1, 's')];
        foreach (var (size, unit) in units)
        {
            if (total >= size)
            {
                sb.Append(CultureInfo.InvariantCulture, $"{total / size}{unit}");
                total %= size;
            }
        }

        return sb.ToString();
    }

    /// <summary>A value quoted for an error message: JSON-escaped (control characters visible) and cut to 60 chars.</summary>
    public static string Quote(string value)
    {
        var cut = value.Length > 60 ? value[..57] + "..." : value;
        var sb = new StringBuilder("\"");
        foreach (var c in cut)
        {
            if (c == '"' || c == '\\')
                sb.Append('\\').Append(c);
            else if (char.IsControl(c) || char.IsSurrogate(c))
                sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else
                sb.Append(c);
        }

        return sb.Append('"').ToString();
    }

    /// <summary>
    /// Why <paramref name="value"/> is not acceptable text, or null: control characters (other than
    /// newline, carriage return and tab when <paramref name="multiline"/>) and unpaired surrogates are rejected.
    /// </summary>
    public static string? TextProblem(string value, bool multiline)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\0')
                return "contains a NUL character";
            if (char.IsControl(c) && !(multiline && c is '\n' or '\r' or '\t'))
                return $"contains control character U+{(int)c:X4}";
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
                continue;
            }

            if (char.IsSurrogate(c))
                return "contains an unpaired surrogate (invalid Unicode)";
        }

        return null;
    }

    /// <summary>Number of Unicode scalar values (what a user counts as characters, near enough).</summary>
    public static int CharCount(string value) => value.EnumerateRunes().Count();

    /// <summary>Cuts to at most <paramref name="max"/> scalar values without splitting a surrogate pair.</summary>
    public static string Cut(string value, int max)
    {
        if (value.Length <= max)
            return value;
        var sb = new StringBuilder();
        var n = 0;
        foreach (var rune in value.EnumerateRunes())
        {
            if (n++ == max)
                break;
            sb.Append(rune.ToString());
        }

        return sb.ToString();
    }

    /// <summary>True when a path has a <c>..</c> segment (either separator).</summary>
    public static bool HasDotDot(string path) =>
        path.Split('/', '\\').Any(s => s == "..");
}
