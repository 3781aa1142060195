namespace Drover.Engines.Tests.Support;

/// <summary>A fresh directory under /tmp, deleted (with any worktrees inside it) on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "drover-engines-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Creates a subdirectory and returns its path.</summary>
    public string Dir(params string[] parts)
    {
        var dir = Combine(parts);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A straggler still writing here must not fail the test that already passed or failed on its own.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
