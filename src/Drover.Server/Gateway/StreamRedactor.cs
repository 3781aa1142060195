using Drover.Core.Secrets;

namespace Drover.Server.Gateway;

/// <summary>
/// Redacts a streamed answer line by line, so a key split across two reads is still found: complete lines go on
/// at once (an SSE event ends with a blank line, so nothing waits), a partial line waits for its end. A line that
/// carries an error (<c>event: error</c>, <c>{"type":"error"…}</c>, <c>{"error":…}</c>) is error text; the rest is
/// what the model wrote and only loses configured keys.
/// </summary>
public sealed class StreamRedactor(UpstreamRedactor redactor)
{
    /// <summary>A line longer than this goes on without waiting for its end.</summary>
    private const int MaxPending = 64 * 1024;

    private byte[] _pending = [];

    /// <summary>What can go to the client now; empty while a line is still incomplete.</summary>
    public ReadOnlyMemory<byte> Feed(ReadOnlySpan<byte> chunk)
    {
        var all = _pending.Length == 0 ? chunk.ToArray() : [.. _pending, .. chunk];
        var end = all.AsSpan().LastIndexOf((byte)'\n') + 1;
        if (end == 0 && all.Length < MaxPending)
        {
            _pending = all;
            return ReadOnlyMemory<byte>.Empty;
        }

        if (end == 0)
            end = all.Length;
        _pending = all[end..];
        return RedactLines(all[..end]);
    }

    /// <summary>The rest, once the stream ended.</summary>
    public ReadOnlyMemory<byte> Flush()
    {
        var rest = _pending;
        _pending = [];
        return rest.Length == 0 ? ReadOnlyMemory<byte>.Empty : RedactLines(rest);
    }

    private byte[] RedactLines(byte[] lines)
    {
        if (lines.AsSpan().IndexOf("error"u8) < 0)
            return redactor.Redact(lines, errorText: false);
        using var output = new MemoryStream(lines.Length);
        var start = 0;
        while (start < lines.Length)
        {
            var next = lines.AsSpan(start).IndexOf((byte)'\n');
            var end = next < 0 ? lines.Length : start + next + 1;
            var line = lines[start..end];
            output.Write(redactor.Redact(line, errorText: line.AsSpan().IndexOf("error"u8) >= 0));
            start = end;
        }

        return output.ToArray();
    }
}
