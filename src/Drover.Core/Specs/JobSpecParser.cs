using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Drover.Core.Specs;

/// <summary>
/// Parses and validates job specs (SPEC §3) from JSON or Markdown with YAML front matter,
/// applying profile and built-in defaults. Rejections throw <see cref="JobSpecException"/> naming the field.
/// </summary>
public static partial class JobSpecParser
{
    /// <summary>Files larger than this are not read at all (the prompt limit is 1 MiB).</summary>
    private const long MaxFileBytes = 8L * 1024 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly JsonDocumentOptions JsonOptions = new() { AllowDuplicateProperties = false, MaxDepth = 32 };

    // Measures the spec as UTF-8 JSON without inflating non-ASCII text into \uXXXX escapes.
    private static readonly JsonSerializerOptions SizeJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A spec file by extension: <c>.json</c>, or <c>.md</c>/<c>.markdown</c>. Relative paths resolve against the context.</summary>
    public static JobSpec ParseFile(string path, SpecParseContext ctx)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(ctx);
        var full = Path.GetFullPath(path, Path.GetFullPath(ctx.WorkingDirectory));
        var ext = Path.GetExtension(full).ToLowerInvariant();
        if (ext is not (".json" or ".md" or ".markdown"))
            throw new JobSpecException(null, $"{path}: unsupported spec file type {SpecGrammar.Quote(ext)} (use .json, .md or .markdown)");
        byte[] bytes;
        try
        {
            var info = new FileInfo(full);
            if (!info.Exists)
                throw new JobSpecException(null, $"{path}: file not found");
            if (info.Length > MaxFileBytes)
                throw new JobSpecException(null, $"{path}: file is larger than {MaxFileBytes / (1024 * 1024)} MiB");
            bytes = File.ReadAllBytes(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new JobSpecException(null, $"{path}: cannot read: {e.Message}");
        }

        return ext == ".json" ? ParseJson(bytes, ctx) : ParseMarkdown(bytes, ctx);
    }

    /// <summary>A JSON object of spec keys (the API body, <c>--file x.json</c>, canonical JSON).</summary>
    public static JobSpec ParseJson(byte[] utf8, SpecParseContext ctx) => ParseObject(ReadJsonObject(utf8), ctx);

    /// <summary>
    /// The raw key/value object of a JSON spec, checked for encoding and shape but not yet validated,
    /// so a caller can lay command-line overrides over a file's keys before <see cref="ParseObject"/>.
    /// </summary>
    public static JsonObject ReadJsonObject(byte[] utf8)
    {
        var text = Decode(utf8);
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text, documentOptions: JsonOptions);
        }
        catch (JsonException e)
        {
            throw new JobSpecException(null, $"invalid JSON: {e.Message}");
        }

        if (node is not JsonObject obj)
            throw new JobSpecException(null, $"invalid spec: expected a JSON object, got {SpecReader.Kind(node)}");
        RejectUnpairedSurrogates(text);
        return obj;
    }

    /// <summary>
    /// JSON may escape half a surrogate pair (<c>"\ud800"</c>): valid JSON, invalid Unicode, and the object
    /// model only trips over it when the string is read. Find it up front, naming the top-level key it is under.
    /// </summary>
    private static void RejectUnpairedSurrogates(string text)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text), new JsonReaderOptions { MaxDepth = JsonOptions.MaxDepth });
        string? top = null;
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.PropertyName or JsonTokenType.String))
                continue;
            var isTopKey = reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1;
            try
            {
                var value = reader.GetString()!;
                if (isTopKey)
                    top = value.Replace('-', '_');
            }
            catch (InvalidOperationException)
            {
                var field = isTopKey ? null : top;
                throw new JobSpecException(field, $"{field ?? "a key"}: contains an unpaired surrogate (invalid Unicode)");
            }
        }
    }

    /// <summary>
    /// Markdown: YAML front matter between <c>---</c> lines is the spec and the body is the prompt.
    /// Without front matter the whole text is the prompt (engine and the rest come from the profile).
    /// </summary>
    public static JobSpec ParseMarkdown(byte[] utf8, SpecParseContext ctx) => ParseObject(ReadMarkdownObject(utf8), ctx);

    /// <summary>The raw key/value object of a Markdown spec: front matter keys plus the body as <c>prompt</c>.</summary>
    public static JsonObject ReadMarkdownObject(byte[] utf8)
    {
        var text = Decode(utf8);
        var (frontMatter, firstLine, body) = SplitFrontMatter(text);
        var obj = frontMatter is null ? [] : YamlFrontMatter.Parse(frontMatter, firstLine);
        var prompt = body.TrimStart('\r', '\n').TrimEnd();
        if (prompt.Length > 0)
        {
            if (obj.Any(p => p.Key == "prompt"))
                throw new JobSpecException("prompt", "prompt: given both in the front matter and as the Markdown body");
            obj["prompt"] = prompt;
        }

        return obj;
    }

    /// <summary>A spec built in code: the CLI's flags, the HTTP API's body. <paramref name="raw"/> is not modified.</summary>
    public static JobSpec ParseObject(JsonObject raw, SpecParseContext ctx)
    {
        ArgumentNullException.ThrowIfNull(raw);
        ArgumentNullException.ThrowIfNull(ctx);
        var errors = new SpecErrors();
        // Unknown keys are reported with every other problem; the known ones are still checked.
        var job = errors.Try(() => SpecKeys.Normalize(raw), null) ?? KnownKeysOnly(raw);
        // A job that gives its own command is a shell job, whatever engine its profile defaults to.
        if (job["command"] is not null && !job.ContainsKey("engine"))
            job["engine"] = "shell";
        var (profileName, profile) = errors.Try(() => ResolveProfile(job, ctx), ("default", []));
        var merged = SpecKeys.WithoutNulls(SpecKeys.Merge(profile, job));
        merged["profile"] = profileName;
        var spec = Build(new SpecReader(merged), ctx, errors);
        // One cap on the whole (every detail view reads the stored spec back), checked after each field's own so a
        // single oversized field is named.
        var size = JsonSerializer.SerializeToUtf8Bytes(merged, SizeJson).Length;
        if (size > SpecGrammar.MaxSpecBytes)
            throw new JobSpecException(null, $"the spec is {size} bytes as JSON, over the 2 MiB limit ({SpecGrammar.MaxSpecBytes} bytes)");
        return spec;
    }

    /// <summary>The keys of <paramref name="raw"/> that are spec keys, each once (snake_case first), for checking after a rejected key.</summary>
    private static JsonObject KnownKeysOnly(JsonObject raw)
    {
        var result = new JsonObject();
        foreach (var (given, value) in raw)
        {
            var name = given.Replace('-', '_');
            if (SpecKeys.Top.Contains(name) && !result.ContainsKey(name) && name is not ("retry" or "budget"))
                result[name] = value?.DeepClone();
        }

        return result;
    }

    private static string Decode(byte[] utf8)
    {
        ArgumentNullException.ThrowIfNull(utf8);
        try
        {
            var text = StrictUtf8.GetString(utf8);
            return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
        }
        catch (DecoderFallbackException e)
        {
            throw new JobSpecException(null, $"invalid UTF-8 at byte {e.Index}");
        }
    }

    /// <summary>Splits <c>---\n yaml \n---\n body</c>; no opening <c>---</c> line means no front matter.</summary>
    private static (string? FrontMatter, int FirstLine, string Body) SplitFrontMatter(string text)
    {
        var firstEnd = text.IndexOf('\n', StringComparison.Ordinal);
        var firstLineText = firstEnd < 0 ? text : text[..firstEnd];
        if (firstLineText.TrimEnd() != "---")
            return (null, 0, text);
        var pos = firstEnd + 1;
        var lineNo = 2;
        while (pos <= text.Length && firstEnd >= 0)
        {
            var end = text.IndexOf('\n', pos);
            var line = end < 0 ? text[pos..] : text[pos..end];
            if (line.TrimEnd() is "---" or "...")
            {
                var yaml = text[(firstEnd + 1)..pos];
                return (yaml, 2, end < 0 ? "" : text[(end + 1)..]);
            }

            if (end < 0)
                break;
            pos = end + 1;
            lineNo++;
        }

        throw new JobSpecException(null, $"front matter: no closing --- line (opened on line 1, file has {lineNo} lines)");
    }

    private static (string Name, JsonObject Profile) ResolveProfile(JsonObject job, SpecParseContext ctx)
    {
        var name = new SpecReader(job).String("profile") ?? "default";
        if (!SpecGrammar.ProfileName().IsMatch(name))
            throw new JobSpecException("profile", $"profile: {SpecGrammar.Quote(name)} is not a valid profile name (letters, digits, _ . -, at most 64)");
        if (ctx.Trusted)
            return (name, []);
        if (!ctx.Profiles.TryGetValue(name, out var raw))
        {
            if (name == "default")
                return (name, []);
            throw new JobSpecException("profile", $"profile: unknown profile {SpecGrammar.Quote(name)}");
        }

        try
        {
            var profile = SpecKeys.Normalize(raw);
            if (profile.ContainsKey("profile"))
                throw new JobSpecException("profile", "a profile cannot name another profile");
            return (name, profile);
        }
        catch (JobSpecException e)
        {
            throw new JobSpecException("profile", $"profile {SpecGrammar.Quote(name)}: {e.Message}");
        }
    }
}
