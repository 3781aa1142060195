using System.Text;

namespace Drover.Engines.Processes;

/// <summary>
/// An append-only log file written one whole line at a time. stdout, stderr and Drover's own
/// notes share one file; each line goes out in a single locked write, so lines never interleave.
/// </summary>
public sealed class LineLog : IDisposable
{
    /// <summary>Prefix of lines Drover itself writes into an attempt log.</summary>
    public const string NotePrefix = "[drover] ";

    private readonly FileStream _stream;
    private readonly Lock _gate = new();
    private bool _disposed;

    public LineLog(string path)
    {
        Path = path;
        _stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
    }

    public string Path { get; }

    /// <summary>Applied to every line before it is written (masks secret values).</summary>
    public Func<string, string>? Redact { get; set; }

    public void WriteLine(string line)
    {
        if (Redact is { } redact)
            line = redact(line);
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            // One write per line with no user-space buffer: readers (`logs -f`) see whole lines at once.
            _stream.Write(bytes);
        }
    }

    /// <summary>Writes a line marked as Drover's own (warnings, verify headers).</summary>
    public void Note(string text) => WriteLine(NotePrefix + text);

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _stream.Dispose();
        }
    }

    /// <summary>The last <paramref name="maxBytes"/> bytes of a file as text, starting at a line boundary when one is near.</summary>
    public static string ReadTail(string path, int maxBytes)
    {
        if (!File.Exists(path))
        {
            return "";
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var start = Math.Max(0, stream.Length - maxBytes);
        stream.Position = start;
        var buffer = new byte[stream.Length - start];
        stream.ReadExactly(buffer);
        var offset = 0;
        if (start > 0)
        {
            // Skip the partial first line (and any split UTF-8 sequence with it) unless that leaves nothing.
            var newline = Array.IndexOf(buffer, (byte)'\n');
            offset = newline >= 0 && newline < buffer.Length - 1 ? newline + 1 : 0;
            while (offset < buffer.Length && (buffer[offset] & 0xC0) == 0x80)
            {
                offset++;
            }
        }

        return Encoding.UTF8.GetString(buffer, offset, buffer.Length - offset);
    }
}
