using System.CommandLine;

namespace Drover.Cli;

/// <summary>Options every command takes (SPEC §10).</summary>
public sealed class GlobalOptions
{
    public Option<string?> Home { get; } = new("--home") { Description = "Data directory (env DROVER_HOME, default ~/.drover)", Recursive = true };
    public Option<string?> Store { get; } = new("--store") { Description = "Store URL: sqlite:<path> (default <home>/drover.db) (env DROVER_STORE)", Recursive = true };
    public Option<bool> Json { get; } = new("--json") { Description = "Machine-readable JSON output", Recursive = true };
    public Option<string?> Url { get; } = new("--url") { Description = "Talk to the Drover server at this URL (env DROVER_URL)", Recursive = true };
    public Option<string?> Token { get; } = new("--token") { Description = "API bearer token (env DROVER_TOKEN, default <home>/token)", Recursive = true };

    public void AddTo(RootCommand root)
    {
        root.Options.Add(Home);
        root.Options.Add(Store);
        root.Options.Add(Json);
        root.Options.Add(Url);
        root.Options.Add(Token);
    }

    public Settings Read(ParseResult r) => new(
        r.GetValue(Home),
        r.GetValue(Store) ?? Environment.GetEnvironmentVariable("DROVER_STORE"),
        r.GetValue(Json),
        r.GetValue(Url) ?? Environment.GetEnvironmentVariable("DROVER_URL"),
        r.GetValue(Token) ?? Environment.GetEnvironmentVariable("DROVER_TOKEN"));

    public sealed record Settings(string? Home, string? Store, bool Json, string? Url, string? Token);
}
