using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Drover.Core.Specs;

/// <summary>
/// Reads YAML front matter into a <see cref="JsonObject"/> with YAML 1.2 core-schema scalars
/// (null, true/false, integers, floats; anything quoted is a string). Aliases are rejected: the
/// front matter is small, and expanding shared nodes is how "billion laughs" documents blow up.
/// </summary>
internal static partial class YamlFrontMatter
{
    private const int MaxDepth = 32;

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex Int();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();

    /// <summary>Parses <paramref name="yaml"/>; <paramref name="firstLine"/> is its line in the file, for messages.</summary>
    public static JsonObject Parse(string yaml, int firstLine)
    {
        var parser = new Parser(new StringReader(yaml));
        try
        {
            parser.Consume<StreamStart>();
            if (parser.TryConsume<StreamEnd>(out _))
                return [];
            parser.Consume<DocumentStart>();
            var root = ReadNode(parser, 0, firstLine);
            parser.Consume<DocumentEnd>();
            if (!parser.TryConsume<StreamEnd>(out _))
                throw new JobSpecException(null, "front matter: expected one YAML document, found more");
            return root switch
            {
                null => [],
                JsonObject obj => obj,
                _ => throw new JobSpecException(null, $"front matter: expected a mapping of spec keys, got {SpecReader.Kind(root)}"),
            };
        }
        catch (YamlException e)
        {
            var line = e.Start.Line + firstLine - 1;
            throw new JobSpecException(null, $"front matter: invalid YAML at line {line}: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner throws this (not YamlException) on some malformed flow collections.
            throw new JobSpecException(null, $"front matter: invalid YAML: {e.Message}");
        }
    }

    private static JsonNode? ReadNode(IParser parser, int depth, long firstLine)
    {
        if (depth > MaxDepth)
            throw new JobSpecException(null, $"front matter: nested deeper than {MaxDepth} levels");
        var line = parser.Current!.Start.Line + firstLine - 1;
        if (parser.TryConsume<AnchorAlias>(out _))
            throw new JobSpecException(null, $"front matter: YAML aliases are not supported (line {line})");
        if (parser.TryConsume<Scalar>(out var scalar))
            return ReadScalar(scalar, line);
        if (parser.TryConsume<SequenceStart>(out _))
        {
            var array = new JsonArray();
            while (!parser.TryConsume<SequenceEnd>(out _))
                array.Add(ReadNode(parser, depth + 1, firstLine));
            return array;
        }

        parser.Consume<MappingStart>();
        var obj = new JsonObject();
        while (!parser.TryConsume<MappingEnd>(out _))
        {
            var keyLine = parser.Current!.Start.Line + firstLine - 1;
            if (!parser.TryConsume<Scalar>(out var key))
                throw new JobSpecException(null, $"front matter: mapping keys must be plain strings (line {keyLine})");
            if (obj.ContainsKey(key.Value))
                throw new JobSpecException(key.Value, $"front matter: duplicate key {SpecGrammar.Quote(key.Value)} (line {keyLine})");
            obj[key.Value] = ReadNode(parser, depth + 1, firstLine);
        }

        return obj;
    }

    private static JsonValue? ReadScalar(Scalar scalar, long line)
    {
        var text = scalar.Value;
        if (!scalar.Tag.IsEmpty && !scalar.Tag.IsNonSpecific)
        {
            if (scalar.Tag.Value == "tag:yaml.org,2002:str")
                return JsonValue.Create(text);
            throw new JobSpecException(null, $"front matter: unsupported YAML tag {SpecGrammar.Quote(scalar.Tag.Value)} (line {line})");
        }

        if (scalar.Style != ScalarStyle.Plain)
            return JsonValue.Create(text);
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }

        if ((Int().IsMatch(text) || Float().IsMatch(text)) &&
            decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            return JsonValue.Create(number);
        return JsonValue.Create(text);
    }
}
