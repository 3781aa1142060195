using System.Globalization;
using System.Text;

namespace Drover.Cli.Output;

/// <summary>
/// Text that came from a job (its log, summary, reason, question, progress) made safe for a terminal: control
/// characters (C0, DEL, C1) and bidirectional overrides and isolates are shown as visible escapes — <c>\x1b</c>
/// below U+0100, <c>\u202e</c> above — so agent output can neither drive the operator's terminal (clear it, retitle it,
/// write hyperlinks) nor reorder what is shown. A tab stays a tab, and a newline stays one where output is multi-line.
/// JSON output needs none of this: its encoder escapes all of these already.
/// </summary>
public static class SafeText
{
    /// <summary>One line: every control character escaped, newlines too.</summary>
    public static string Line(string text) => Escape(text, multiLine: false);

    /// <summary>Multi-line text (a log): newlines (and the CR of a CRLF) kept, every other control character escaped.</summary>
    public static string Lines(string text) => Escape(text, multiLine: true);

    private static string Escape(string text, bool multiLine)
    {
        var first = FirstUnsafe(text, multiLine);
        if (first < 0)
            return text;
        var sb = new StringBuilder(text.Length + 16).Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (!IsUnsafe(text, i, multiLine))
                sb.Append(c);
            else if (c < 0x100)
                sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else
                sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    private static int FirstUnsafe(string text, bool multiLine)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (IsUnsafe(text, i, multiLine))
                return i;
        }

        return -1;
    }

    private static bool IsUnsafe(string text, int i, bool multiLine) => text[i] switch
    {
        '\t' => false,
        '\n' => !multiLine,
        '\r' => !multiLine || i + 1 >= text.Length || text[i + 1] != '\n',
        < ' ' or '\x7f' => true,
        >= '\x80' and <= '\x9f' => true,
        '\u061c' or '\u200e' or '\u200f' => true, // bidi marks
        >= '\u202a' and <= '\u202e' => true, // bidi embeddings and overrides
        >= '\u2066' and <= '\u2069' => true, // bidi isolates
        _ => false,
    };
}
