using Drover.Core.Storage;

namespace Drover.Storage.Sqlite.Tests;

/// <summary>A temp database file per test, deleted (with its -wal/-shm) afterwards.</summary>
public sealed class SqliteTestDatabase
{
    public SqliteTestDatabase()
    {
        Directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "drover-store-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        Path = System.IO.Path.Combine(Directory, "drover.db");
    }

    public string Directory { get; }

    public string Path { get; }

    public async Task<IJobStore> OpenAsync() => await SqliteJobStore.OpenAsync(Path, TestContext.Current.CancellationToken);

    public ValueTask DeleteAsync()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp file must not fail the test.
        }

        return ValueTask.CompletedTask;
    }
}
