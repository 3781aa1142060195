namespace Drover.Core.Specs;

/// <summary>
/// Parses and validates job specs (SPEC §3) from JSON or Markdown with YAML front matter,
/// applying profile and built-in defaults. Rejections throw <see cref="JobSpecException"/> naming the field.
/// </summary>
public static class JobSpecParser
{
    // TEMPORARY placeholders until the parser branch merges.
    public static System.Text.Json.Nodes.JsonObject ParseJsonObject(byte[] utf8) => throw new NotImplementedException();
    public static System.Text.Json.Nodes.JsonObject ParseMarkdownObject(byte[] utf8) => throw new NotImplementedException();
    public static JobSpec ParseObject(System.Text.Json.Nodes.JsonObject raw, SpecParseContext ctx) => throw new NotImplementedException();
}
