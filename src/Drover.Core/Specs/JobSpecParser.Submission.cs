using System.Text.Json.Nodes;

namespace Drover.Core.Specs;

/// <summary>The two shapes a job file comes in (SPEC §3).</summary>
public enum SpecFileFormat
{
    Json,

    /// <summary>YAML front matter is the spec, the body is the prompt.</summary>
    Markdown,
}

public static partial class JobSpecParser
{
    /// <summary>A job file's format by its extension: <c>.json</c>, or <c>.md</c>/<c>.markdown</c>.</summary>
    public static SpecFileFormat FileFormat(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".json" => SpecFileFormat.Json,
            ".md" or ".markdown" => SpecFileFormat.Markdown,
            _ => throw new JobSpecException("file", $"job file {SpecGrammar.Quote(path)} must end in .json, .md or .markdown"),
        };
    }

    /// <summary>
    /// The one merge of a submission: a job file's keys (JSON, or Markdown front matter plus its body as the
    /// prompt) with the command line's keys laid over them. Both are normalized first, so a flag replaces
    /// the file's key whichever spelling (snake_case or kebab-case) the file used. Precedence: flags over the
    /// file; objects (<c>retry</c>, <c>budget</c>, <c>labels</c>, <c>env</c>) merge key by key, so
    /// <c>--max-attempts</c> keeps the file's <c>retry.backoff</c> and <c>--label</c> adds to its labels.
    /// Profiles and built-in defaults come later, in <see cref="ParseObject"/>.
    /// </summary>
    /// <returns>A normalized spec document, ready to send to the API or to <see cref="ParseObject"/>.</returns>
    public static JsonObject MergeSubmission(byte[]? file, SpecFileFormat format, JsonObject? flags)
    {
        var errors = new SpecErrors();
        var fromFile = file is null
            ? []
            : errors.Try(() => SpecKeys.Normalize(format == SpecFileFormat.Markdown ? ReadMarkdownObject(file) : ReadJsonObject(file)), []);
        var fromFlags = flags is null ? [] : errors.Try(() => SpecKeys.Normalize(flags), []);
        errors.ThrowIfAny();
        return SpecKeys.Merge(fromFile, fromFlags);
    }
}
