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

    /// <summary>
    /// The engines a job may name (built in plus configured); null when unknown here, and then any
    /// well-formed name is accepted and the fleet decides.
    /// </summary>
    public IReadOnlySet<string>? Engines { get; init; }

    /// <summary>
    /// The <c>[[forges]]</c> hosts; null when unknown here. Known: a URL repo's pull-request delivery must name one,
    /// since its API opens the pull request (SPEC §12).
    /// </summary>
    public IReadOnlySet<string>? ForgeHosts { get; init; }

    /// <summary>
    /// The submitter has no current directory to default <c>repo</c> to (the HTTP API): a job must name
    /// its repo, as an absolute path, unless its profile gives one.
    /// </summary>
    public bool RequireRepo { get; init; }
}
