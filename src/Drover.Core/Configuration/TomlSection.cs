using System.Globalization;
using Drover.Core.Specs;
using Tomlyn.Model;
using Tomlyn.Serialization;

namespace Drover.Core.Configuration;

/// <summary>
/// Typed, located access to one TOML table: every error says <c>file:line: key.path: rule</c> when the
/// parser recorded the key's position, and the key path alone otherwise.
/// </summary>
internal sealed class TomlSection(TomlTable table, string path, string source, TomlMetadataStore metadata)
{
    public TomlTable Table => table;

    public string Path(string key) => path.Length == 0 ? key : $"{path}.{key}";

    public DroverConfigException Error(string key, string rule) => new($"{Where(key)}{Path(key)}: {rule}");

    /// <summary>"file:line: " for <paramref name="key"/> in this table, or "file: " when unknown.</summary>
    public string Where(string key) =>
        metadata.TryGetProperties(table, out var props) && props is not null &&
        props.TryGetProperty(key, out var prop) && prop?.Span is { } span
            ? $"{source}:{span.Start.Line + 1}: "
            : $"{source}: ";

    public void AllowOnly(params string[] keys)
    {
        foreach (var key in table.Keys)
        {
            if (!keys.Contains(key, StringComparer.Ordinal))
                throw Error(key, $"unknown key (expected one of {string.Join(", ", keys)})");
        }
    }

    /// <summary>A table inside this one that is not reached by a key (an element of an array of tables).</summary>
    public TomlSection Child(TomlTable child, string key) => new(child, Path(key), source, metadata);

    public TomlSection? Section(string key)
    {
        if (!table.TryGetValue(key, out var value))
            return null;
        return value is TomlTable t ? new TomlSection(t, Path(key), source, metadata) : throw Error(key, $"expected a table, got {Kind(value)}");
    }

    public IEnumerable<(string Key, TomlSection Section)> Sections()
    {
        foreach (var key in table.Keys)
            yield return (key, Section(key)!);
    }

    public string? String(string key)
    {
        if (!table.TryGetValue(key, out var value))
            return null;
        if (value is not string s)
            throw Error(key, $"expected a string, got {Kind(value)}");
        if (SpecGrammar.TextProblem(s, multiline: false) is { } problem)
            throw Error(key, $"{SpecGrammar.Quote(s)} {problem}");
        return s;
    }

    public bool? Bool(string key)
    {
        if (!table.TryGetValue(key, out var value))
            return null;
        return value is bool b ? b : throw Error(key, $"expected true or false, got {Kind(value)}");
    }

    public long? Integer(string key, long min, long max)
    {
        if (!table.TryGetValue(key, out var value))
            return null;
        if (value is not long n)
            throw Error(key, $"expected an integer, got {Kind(value)}");
        if (n < min || n > max)
            throw Error(key, $"{n} is out of range ({min}..{max})");
        return n;
    }

    /// <summary>A price in USD per million tokens: a non-negative number (integer or float) below a million.</summary>
    public decimal? Usd(string key, string what = "USD per million tokens")
    {
        if (!table.TryGetValue(key, out var value))
            return null;
        decimal d = value switch
        {
            long n => n,
            double x when double.IsFinite(x) && Math.Abs(x) < 1e6 => (decimal)x,
            _ => throw Error(key, $"expected a number of {what}, got {Kind(value)}"),
        };
        if (d is < 0 or >= 1_000_000)
            throw Error(key, $"{d.ToString(System.Globalization.CultureInfo.InvariantCulture)} is out of range (0..999999)");
        return d;
    }

    public TimeSpan? Duration(string key, TimeSpan min, TimeSpan max)
    {
        if (!table.TryGetValue(key, out var value))
            return null;
        TimeSpan d;
        if (value is long seconds)
            d = TimeSpan.FromSeconds(Math.Clamp(seconds, -1, 100L * 365 * 86400));
        else if (value is not string text || !SpecGrammar.TryParseDuration(text, out d))
            throw Error(key, $"expected a duration like \"30s\", \"5m\" or \"1h30m\", got {Show(value)}");
        if (d < min || d > max)
            throw Error(key, $"{Show(value)} is out of range ({SpecGrammar.FormatDuration(min)}..{SpecGrammar.FormatDuration(max)})");
        return d;
    }

    public List<string>? StringList(string key)
    {
        if (!table.TryGetValue(key, out var value))
            return null;
        if (value is not TomlArray array)
            throw Error(key, $"expected an array of strings, got {Kind(value)}");
        var result = new List<string>();
        foreach (var item in array)
        {
            if (item is not string s)
                throw Error(key, $"expected an array of strings, found {Kind(item)}");
            if (SpecGrammar.TextProblem(s, multiline: false) is { } problem)
                throw Error(key, $"{SpecGrammar.Quote(s)} {problem}");
            result.Add(s);
        }

        return result;
    }

    public SortedDictionary<string, string>? StringMap(string key)
    {
        var section = Section(key);
        if (section is null)
            return null;
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in section.Table.Keys)
            result[name] = section.String(name)!;
        return result;
    }

    public static string Kind(object? value) => value switch
    {
        null => "nothing",
        string => "a string",
        long => "an integer",
        double => "a float",
        bool => "a boolean",
        TomlArray => "an array",
        TomlTable => "a table",
        TomlTableArray => "an array of tables",
        _ => "a date/time",
    };

    private static string Show(object? value) => value switch
    {
        string s => SpecGrammar.Quote(s),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => Kind(value),
    };
}
