using System.Text.Json;
using System.Text.RegularExpressions;

namespace Drover.Engines.Agents;

/// <summary>
/// A CLI whose stdout is plain text (a custom engine with <c>usage = "none"</c>, and the base of aider's reader):
/// every non-blank line is a progress line, the last paragraph is the final message, and the exit code decides.
/// Lines are read as text even when they look like JSON.
/// </summary>
public partial class TextStream(string engine) : AgentStream
{
    private const int MessageChars = 4096;

    private readonly LinkedList<string> _paragraph = new();
    private int _paragraphChars;
    private bool _paragraphEnded;

    public override string Engine => engine;

    /// <summary>A plain command is judged by its exit code; it owes no final message.</summary>
    protected override bool NeedsFinalMessage => false;

    public sealed override string? Read(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var text = AnsiEscape().Replace(line, "").TrimEnd();
        if (text.Length == 0)
        {
            _paragraphEnded = _paragraph.Count > 0;
            return null;
        }

        return ReadText(text);
    }

    /// <summary>One non-blank line (ANSI escapes removed): by default part of the message and shown as it is.</summary>
    protected virtual string? ReadText(string line)
    {
        AddMessageLine(line);
        return FailureText.Trim(line, 500);
    }

    /// <summary>Adds a line to the current paragraph; a blank line before it started a new one.</summary>
    protected void AddMessageLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (_paragraphEnded)
        {
            _paragraph.Clear();
            _paragraphChars = 0;
            _paragraphEnded = false;
        }

        _paragraph.AddLast(line);
        _paragraphChars += line.Length + 1;
        while (_paragraphChars > MessageChars && _paragraph.Count > 1)
        {
            _paragraphChars -= _paragraph.First!.Value.Length + 1;
            _paragraph.RemoveFirst();
        }
    }

    protected override void OnExit(int exitCode, string? lastStderrLine)
    {
        if (_paragraph.Count > 0)
            FinalMessage = string.Join('\n', _paragraph);
    }

    /// <summary>Never called: <see cref="Read"/> reads text.</summary>
    protected override string? ReadEvent(JsonElement e) => null;

    [GeneratedRegex(@"\x1B\[[0-9;?]*[ -/]*[@-~]")]
    private static partial Regex AnsiEscape();
}
