namespace Drover.Engines.Agents;

/// <summary>
/// The CLI versions each driver was run against end to end (RECIPES.md): a different version may still work, but
/// its output format is unverified. Gemini and aider drivers are written from documentation and source: none.
/// </summary>
public static class TestedVersions
{
    public static string? For(string engine) => engine switch
    {
        "claude" => "2.1.330",
        "codex" => "0.169.0",
        "opencode" => "1.18.33",
        "qwen" => "0.24.4",
        _ => null,
    };
}
