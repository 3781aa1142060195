using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Drover.Core.Specs;

/// <summary>
/// Typed access to a normalized spec object. Every accessor returns null when the key is absent (or
/// null) and throws <see cref="JobSpecException"/> naming the field and the expected type otherwise.
/// </summary>
internal sealed class SpecReader(JsonObject obj, string? prefix = null)
{
    public static string Kind(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => "null",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "an unknown value",
    };

    public string Field(string name) => prefix is null ? name : $"{prefix}.{name}";

    public JobSpecException Error(string name, string rule) => new(Field(name), $"{Field(name)}: {rule}");

    public bool Has(string name) => obj[name] is not null;

    public JsonNode? Node(string name) => obj[name];

    public bool? Bool(string name)
    {
        var node = obj[name];
        if (node is null)
            return null;
        return node.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error(name, $"expected true or false, got {Kind(node)}"),
        };
    }

    public string? String(string name, bool multiline = false)
    {
        var node = obj[name];
        if (node is null)
            return null;
        if (node.GetValueKind() != JsonValueKind.String)
            throw Error(name, $"expected a string, got {Kind(node)}");
        var text = Text(node, name);
        if (SpecGrammar.TextProblem(text, multiline) is { } problem)
            throw Error(name, $"{SpecGrammar.Quote(text)} {problem}");
        return text;
    }

    /// <summary>A JSON number as its exact decimal value (YAML and JSON numbers alike).</summary>
    public static bool TryDecimal(JsonNode node, out decimal value)
    {
        value = 0;
        return node.GetValueKind() == JsonValueKind.Number &&
            decimal.TryParse(Show(node), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>A number's JSON text; a CLR double like NaN (from <see cref="JobSpecParser.ParseObject"/> callers) has none.</summary>
    public static string Show(JsonNode node)
    {
        try
        {
            return node.ToJsonString();
        }
        catch (ArgumentException)
        {
            return node.GetValue<double>().ToString(CultureInfo.InvariantCulture);
        }
    }

    public decimal? Number(string name, decimal min, decimal max)
    {
        var node = obj[name];
        if (node is null)
            return null;
        if (node.GetValueKind() != JsonValueKind.Number)
            throw Error(name, $"expected a number, got {Kind(node)}");
        if (!TryDecimal(node, out var value) || value < min || value > max)
            throw Error(name, $"{Show(node)} is out of range ({min}..{max})");
        return value;
    }

    public long? Integer(string name, long min, long max)
    {
        var node = obj[name];
        if (node is null)
            return null;
        if (node.GetValueKind() != JsonValueKind.Number)
            throw Error(name, $"expected an integer, got {Kind(node)}");
        if (!TryDecimal(node, out var value))
            throw Error(name, $"{Show(node)} is out of range ({min}..{max})");
        if (value != decimal.Truncate(value))
            throw Error(name, $"expected an integer, got {Show(node)}");
        if (value < min || value > max)
            throw Error(name, $"{Show(node)} is out of range ({min}..{max})");
        return (long)value;
    }

    /// <summary>A duration as text (<c>90s</c>, <c>1h30m</c>) or a number of seconds, within 1s..7d.</summary>
    public TimeSpan? Duration(string name)
    {
        var node = obj[name];
        if (node is null)
            return null;
        TimeSpan value;
        string shown;
        switch (node.GetValueKind())
        {
            case JsonValueKind.Number:
                shown = Show(node);
                if (!TryDecimal(node, out var seconds) || seconds < 1 || seconds > (decimal)SpecGrammar.MaxDuration.TotalSeconds)
                    throw Error(name, $"{shown} is out of range (1s..7d)");
                value = TimeSpan.FromSeconds((double)seconds);
                break;
            case JsonValueKind.String:
                var text = Text(node, name);
                shown = SpecGrammar.Quote(text);
                if (!SpecGrammar.TryParseDuration(text.Trim(), out value))
                    throw Error(name, $"{shown} is not a duration (like 90s, 45m, 2h, 1d, 1h30m, or a number of seconds)");
                break;
            default:
                throw Error(name, $"expected a duration (like \"90s\" or a number of seconds), got {Kind(node)}");
        }

        if (value < SpecGrammar.MinDuration || value > SpecGrammar.MaxDuration)
            throw Error(name, $"{shown} is out of range (1s..7d)");
        return value;
    }

    /// <summary>An array of strings; <paramref name="digitsAsText"/> also takes whole numbers (job ids from YAML).</summary>
    public List<string>? StringList(string name, bool digitsAsText = false)
    {
        var node = obj[name];
        if (node is null)
            return null;
        if (node is not JsonArray array)
            throw Error(name, $"expected an array of strings, got {Kind(node)}");
        var result = new List<string>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            var item = array[i];
            var kind = item?.GetValueKind();
            if (digitsAsText && kind == JsonValueKind.Number && TryDecimal(item!, out var n) && n == decimal.Truncate(n))
            {
                result.Add(n.ToString("0", CultureInfo.InvariantCulture));
                continue;
            }

            if (kind != JsonValueKind.String)
                throw Error(name, $"item {i} expected a string, got {Kind(item)}");
            var text = Text(item!, name);
            if (SpecGrammar.TextProblem(text, multiline: false) is { } problem)
                throw Error(name, $"item {i} {SpecGrammar.Quote(text)} {problem}");
            result.Add(text);
        }

        return result;
    }

    /// <summary>
    /// An object of name → text. Numbers and booleans are taken as their text (YAML writes <c>PORT: 8080</c>);
    /// arrays, objects and nulls are rejected.
    /// </summary>
    public SortedDictionary<string, string>? StringMap(string name)
    {
        var node = obj[name];
        if (node is null)
            return null;
        if (node is not JsonObject map)
            throw Error(name, $"expected an object of names to strings, got {Kind(node)}");
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, item) in map)
        {
            var text = item?.GetValueKind() switch
            {
                JsonValueKind.String => Text(item, name),
                JsonValueKind.Number => Show(item),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => throw Error(name, $"value of {SpecGrammar.Quote(key)} expected a string, got {Kind(item)}"),
            };
            if (SpecGrammar.TextProblem(text, multiline: false) is { } problem)
                throw Error(name, $"value of {SpecGrammar.Quote(key)} {problem}");
            result[key] = text;
        }

        return result;
    }

    /// <summary>A string value; JSON text with an unpaired surrogate escape (<c>"\ud800"</c>) cannot be read as one.</summary>
    private string Text(JsonNode node, string name)
    {
        try
        {
            return node.GetValue<string>();
        }
        catch (InvalidOperationException)
        {
            throw Error(name, "contains an unpaired surrogate (invalid Unicode)");
        }
    }

    public SpecReader? Object(string name)
    {
        var node = obj[name];
        if (node is null)
            return null;
        if (node is not JsonObject nested)
            throw Error(name, $"expected an object, got {Kind(node)}");
        return new SpecReader(nested, Field(name));
    }
}
