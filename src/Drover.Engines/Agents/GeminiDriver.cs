using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Core.Configuration;

namespace Drover.Engines.Agents;

/// <summary>
/// Gemini CLI: <c>gemini --output-format stream-json --yolo --prompt=…</c> with a per-run <c>GEMINI_CLI_HOME</c>
/// (its state lives in <c>$GEMINI_CLI_HOME/.gemini</c>) whose settings switch auto-update, usage statistics and
/// telemetry off. Written from Gemini CLI's documentation and source; no version has been run against it yet.
/// </summary>
public sealed class GeminiDriver(EngineConfig? config = null) : AgentDriver(config)
{
    public override string Name => "gemini";

    public override AgentStream CreateStream() => new GeminiStream();

    protected override void Build(AgentInvocation run)
    {
        var dir = Path.Combine(run.Home, ".gemini");
        Directory.CreateDirectory(dir);
        run.Env["GEMINI_CLI_HOME"] = run.Home;
        var settings = Path.Combine(dir, "settings.json");
        File.WriteAllText(settings, Settings(UserHome(".gemini", "settings.json")));
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(settings, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        CopySecret(UserHome(".gemini", "oauth_creds.json"), Path.Combine(dir, "oauth_creds.json"));
        run.Argv.AddRange(["--output-format", "stream-json", "--yolo"]);
        if (run.Model is { } model)
            run.Argv.AddRange(["--model", model]);
    }

    /// <summary>
    /// <c>--prompt=&lt;text&gt;</c> as one element: yargs reads everything after the first <c>=</c> as the value, so a
    /// prompt starting with <c>-</c> is never taken for flags (<c>-p &lt;text&gt;</c> would be).
    /// </summary>
    protected override IEnumerable<string> PromptArguments(string promptFile) => [$"--prompt={PromptArgument(promptFile)}"];

    /// <summary>
    /// The run's settings.json: the user's own (their auth choice and model settings), with auto-update, the update
    /// notice, usage statistics and telemetry forced off. An unreadable user file is ignored.
    /// </summary>
    internal static string Settings(string? userSettingsPath)
    {
        JsonObject settings;
        try
        {
            settings = userSettingsPath is not null && File.Exists(userSettingsPath)
                && JsonNode.Parse(File.ReadAllText(userSettingsPath), documentOptions: new JsonDocumentOptions
                {
                    CommentHandling = JsonCommentHandling.Skip,
                    AllowTrailingCommas = true,
                }) is JsonObject user
                    ? user
                    : new JsonObject();
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            settings = new JsonObject();
        }

        Section(settings, "general")["enableAutoUpdate"] = false;
        Section(settings, "general")["enableAutoUpdateNotification"] = false;
        Section(settings, "privacy")["usageStatisticsEnabled"] = false;
        Section(settings, "telemetry")["enabled"] = false;
        return settings.ToJsonString();
    }

    private static JsonObject Section(JsonObject settings, string name)
    {
        if (settings[name] is JsonObject section)
            return section;
        var created = new JsonObject();
        settings[name] = created;
        return created;
    }
}
