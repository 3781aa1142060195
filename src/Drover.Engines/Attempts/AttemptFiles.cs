using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Drover.Core.Jobs;
using Drover.Core.Storage;

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
    public string SessionPath => Path.Combine(Dir, "session.json");

    /// <summary>Classes after which the agent's session is worth continuing: the work was cut short, not judged wrong.</summary>
    private static readonly HashSet<string> ResumableClasses = new(StringComparer.Ordinal)
    {
        FailureClass.Timeout, FailureClass.Stalled, FailureClass.RateLimited, FailureClass.QuotaExhausted,
        FailureClass.ModelError, FailureClass.Crash,
    };

    /// <summary>Records the agent session an attempt ran in and how the attempt ended, for the next attempt to continue.</summary>
    public void WriteSession(string engine, string sessionId, AttemptOutcome outcome) =>
        File.WriteAllText(SessionPath, JsonSerializer.Serialize(new SessionDocument(engine, sessionId, outcome.Kind.ToString().ToLowerInvariant(), outcome.Class, outcome.Reason), ResultJson));

    /// <summary>
    /// The session of attempt <paramref name="attempt"/> − 1 on this host, when that attempt was cut short (timeout,
    /// stall, limit, model error, crash), stopped for a question now answered, or released at shutdown; else null.
    /// </summary>
    public static ResumeFrom? PreviousSession(string home, long jobId, int attempt)
    {
        if (attempt <= 1)
            return null;
        var dir = Path.GetFullPath(Path.Combine(home, "runs", jobId.ToString(CultureInfo.InvariantCulture), (attempt - 1).ToString(CultureInfo.InvariantCulture)));
        SessionDocument? s;
        try
        {
            s = JsonSerializer.Deserialize<SessionDocument>(File.ReadAllText(Path.Combine(dir, "session.json")), ResultJson);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }

        if (s is null || string.IsNullOrEmpty(s.SessionId))
            return null;
        var why = s.State switch
        {
            "blocked" => "it asked a question; the answer is below",
            "released" => "the worker shut down",
            _ when s.Class is not null && ResumableClasses.Contains(s.Class) => $"{s.Class}: {s.Reason}",
            _ => null,
        };
        return why is null ? null : new ResumeFrom(s.Engine, s.SessionId, Path.Combine(dir, "agent-home"), why);
    }

    private sealed record SessionDocument(string Engine, string SessionId, string State, string? Class, string? Reason);

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

    /// <summary>Writes prompt.md: the persona (a profile's standing instructions) first, when there is one.</summary>
    public void WritePrompt(string prompt, IReadOnlyList<string> answers, string? persona = null) =>
        File.WriteAllText(PromptPath, (persona is { Length: > 0 } p ? p.TrimEnd() + "\n\n---\n\n" : "") + ComposePrompt(prompt, answers), new UTF8Encoding(false));

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
