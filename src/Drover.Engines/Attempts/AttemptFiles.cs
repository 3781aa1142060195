using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Drover.Engines.Attempts;

/// <summary>The files of one attempt: <c>&lt;home&gt;/runs/&lt;job&gt;/&lt;attempt&gt;/</c> with prompt.md, log and result.json.</summary>
internal sealed class AttemptFiles
{
    public const int LogTailBytes = 4096;

    private static readonly JsonSerializerOptions ResultJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        WriteIndented = true,
    };

    private AttemptFiles(string dir) => Dir = dir;

    public string Dir { get; }
    public string PromptPath => Path.Combine(Dir, "prompt.md");
    public string LogPath => Path.Combine(Dir, "log");
    public string ResultPath => Path.Combine(Dir, "result.json");

    public static AttemptFiles Create(string home, long jobId, int attempt)
    {
        var dir = Path.GetFullPath(Path.Combine(home, "runs",
            jobId.ToString(CultureInfo.InvariantCulture), attempt.ToString(CultureInfo.InvariantCulture)));
        Directory.CreateDirectory(dir);
        return new AttemptFiles(dir);
    }

    /// <summary>The prompt, then any answers (oldest first) under "## Answers" so the agent sees what it asked for.</summary>
    public static string ComposePrompt(string prompt, IReadOnlyList<string> answers)
    {
        var text = new StringBuilder(prompt);
        if (answers.Count > 0)
        {
            text.Append(prompt.EndsWith('\n') ? "\n" : "\n\n").Append("## Answers\n");
            foreach (var answer in answers)
            {
                text.Append('\n').Append(answer.TrimEnd()).Append('\n');
            }
        }

        return text.ToString();
    }

    public void WritePrompt(string prompt, IReadOnlyList<string> answers) =>
        File.WriteAllText(PromptPath, ComposePrompt(prompt, answers), new UTF8Encoding(false));

    public string ReadLogTail() => Processes.LineLog.ReadTail(LogPath, LogTailBytes);

    /// <summary>Writes result.json atomically (temp file + rename), so a reader never sees half a report.</summary>
    public void WriteResult(AttemptReport report, TimeSpan duration, string? workspace)
    {
        var document = new ResultDocument(report.Outcome.Kind.ToString().ToLowerInvariant(), report.Outcome, report.Result,
            report.Aborted, Math.Round(duration.TotalSeconds, 3), workspace);
        var temp = ResultPath + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(document, ResultJson), new UTF8Encoding(false));
        File.Move(temp, ResultPath, overwrite: true);
    }

    private sealed record ResultDocument(
        string State,
        Core.Storage.AttemptOutcome Outcome,
        Core.Storage.AttemptResult Result,
        bool Aborted,
        double DurationS,
        string? Workspace);
}
