using System.Text.Json.Nodes;

namespace Drover.Core.Specs;

/// <summary>Where relative paths resolve and which profiles exist.</summary>
public sealed record SpecParseContext(string WorkingDirectory, IReadOnlyDictionary<string, JsonObject> Profiles);
