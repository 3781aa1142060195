using System.Text;

namespace Drover.Engines.Processes;

/// <summary>Splits a stream into lines without trusting the writer: a line longer than
/// <see cref="MaxLineChars"/> is cut into pieces, so a runaway agent cannot exhaust memory.</summary>
internal static class LineReader
{
    public const int MaxLineChars = 64 * 1024;

    public static async Task ReadLinesAsync(Stream stream, Func<string, Task> onLine, CancellationToken ct)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 4096);
        var buffer = new char[4096];
        var line = new StringBuilder();
        while (true)
        {
            var read = await reader.ReadAsync(buffer.AsMemory(), ct);
            if (read == 0)
            {
                break;
            }

            for (var i = 0; i < read; i++)
            {
                var c = buffer[i];
                if (c == '\n')
                {
                    await onLine(TrimCr(line));
                    line.Clear();
                }
                else
                {
                    line.Append(c);
                    if (line.Length >= MaxLineChars)
                    {
                        await onLine(line.ToString());
                        line.Clear();
                    }
                }
            }
        }

        if (line.Length > 0)
        {
            await onLine(TrimCr(line));
        }
    }

    private static string TrimCr(StringBuilder line) =>
        line.Length > 0 && line[^1] == '\r' ? line.ToString(0, line.Length - 1) : line.ToString();
}
