using System.Text;
using Drover.Engines.Processes;
using Drover.Engines.Tests.Support;

namespace Drover.Engines.Tests.Processes;

public sealed class LineLogTests : IDisposable
{
    private readonly TempDir _dir = new();

    private string LogPath => _dir.Combine("log");

    [Fact]
    public void WriteLine_AppendsToAnExistingFile_AndNoteMarksDroversOwnLines()
    {
        File.WriteAllText(LogPath, "from an earlier writer\n");

        using (var log = new LineLog(LogPath))
        {
            log.WriteLine("agent says hi");
            log.Note("verify: make test");
            log.Path.ShouldBe(LogPath);
        }

        File.ReadAllLines(LogPath).ShouldBe(["from an earlier writer", "agent says hi", "[drover] verify: make test"]);
    }

    [Fact]
    public void WriteLine_AfterDispose_IsIgnored()
    {
        var log = new LineLog(LogPath);
        log.WriteLine("kept");
        log.Dispose();

        Should.NotThrow(() => log.WriteLine("dropped"));
        Should.NotThrow(log.Dispose);
        File.ReadAllText(LogPath).ShouldBe("kept\n");
    }

    [Fact]
    public void WriteLine_IsVisibleToReadersAtOnce()
    {
        using var log = new LineLog(LogPath);

        log.WriteLine("no buffering");

        LineLog.ReadTail(LogPath, 1024).ShouldBe("no buffering\n");
    }

    [Fact]
    public async Task WriteLine_FromManyThreads_LinesNeverInterleave()
    {
        const int Writers = 8, PerWriter = 2000;
        using (var log = new LineLog(LogPath))
        {
            var tasks = Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
            {
                for (var i = 0; i < PerWriter; i++)
                {
                    log.WriteLine($"writer{w}:{i}:" + new string((char)('a' + w), 50 + (i % 200)));
                }
            }, TestContext.Current.CancellationToken));
            await Task.WhenAll(tasks);
        }

        var lines = File.ReadAllLines(LogPath);
        lines.Length.ShouldBe(Writers * PerWriter);
        foreach (var line in lines)
        {
            var parts = line.Split(':');
            parts.Length.ShouldBe(3, line);
            var w = int.Parse(parts[0]["writer".Length..], System.Globalization.CultureInfo.InvariantCulture);
            var i = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            parts[2].ShouldBe(new string((char)('a' + w), 50 + (i % 200)));
        }

        for (var w = 0; w < Writers; w++)
        {
            var prefix = $"writer{w}:";
            lines.Where(l => l.StartsWith(prefix, StringComparison.Ordinal))
                .Select(l => int.Parse(l.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture))
                .ShouldBe(Enumerable.Range(0, PerWriter), "one writer's lines keep their order");
        }
    }

    [Fact]
    public void ReadTail_MissingFile_IsEmpty()
    {
        LineLog.ReadTail(_dir.Combine("nope"), 100).ShouldBe("");
    }

    [Fact]
    public void ReadTail_SmallFile_IsReturnedWhole()
    {
        File.WriteAllText(LogPath, "a\nb\n");

        LineLog.ReadTail(LogPath, 100).ShouldBe("a\nb\n");
    }

    [Fact]
    public void ReadTail_CutsAtTheNextLineBoundary()
    {
        File.WriteAllText(LogPath, "first line\nsecond line\nthird\n");

        // The last 14 bytes are "nd line\nthird\n": the partial line goes.
        LineLog.ReadTail(LogPath, 14).ShouldBe("third\n");
    }

    [Fact]
    public void ReadTail_WhenTheOnlyNewlineEndsTheTail_KeepsThePartialLine()
    {
        File.WriteAllText(LogPath, "0123456789\n");

        LineLog.ReadTail(LogPath, 5).ShouldBe("6789\n");
    }

    [Fact]
    public void ReadTail_NeverStartsInsideAUtf8Sequence()
    {
        File.WriteAllText(LogPath, new string('é', 100), new UTF8Encoding(false));

        // 200 bytes of two-byte characters: an odd window starts on a continuation byte.
        var tail = LineLog.ReadTail(LogPath, 11);

        tail.ShouldBe(new string('é', 5));
    }

    [Fact]
    public void ReadTail_WhileTheLogIsOpenForWriting_Works()
    {
        using var log = new LineLog(LogPath);
        for (var i = 0; i < 100; i++)
        {
            log.WriteLine($"line {i}");
        }

        LineLog.ReadTail(LogPath, 20).ShouldBe("line 98\nline 99\n");
    }

    public void Dispose() => _dir.Dispose();
}
