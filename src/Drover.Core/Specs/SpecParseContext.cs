using System.Text.Json.Nodes;

namespace Drover.Core.Specs;

/// <summary>
/// What a spec is parsed against: the directory relative <c>repo</c> paths resolve from (the CLI's
/// current directory, or the server's when the API is used) and the <c>[profiles.NAME]</c> tables of
/// <c>drover.toml</c>, each a set of spec keys used as defaults (job &gt; profile &gt; built-in).
/// </summary>
public sealed record SpecParseContext(string WorkingDirectory, IReadOnlyDictionary<string, JsonObject> Profiles)
{
    /// <summary>A context with no profiles, resolving paths against <paramref name="workingDirectory"/>.</summary>
    public static SpecParseContext For(string workingDirectory) =>
        new(workingDirectory, new Dictionary<string, JsonObject>(StringComparer.Ordinal));

    /// <summary>
    /// A stored canonical spec (<see cref="JobSpecJson.Deserialize"/>): every default is already applied,
    /// so profiles are not looked up and <c>repo</c> is not checked on disk (it may be gone by now).
    /// </summary>
    internal bool Trusted { get; init; }
}
