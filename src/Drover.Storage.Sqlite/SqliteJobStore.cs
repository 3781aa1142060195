using System.Collections.Concurrent;
using Drover.Core;
using Drover.Core.Storage;
using Drover.Storage.Sql;
using Microsoft.Data.Sqlite;

namespace Drover.Storage.Sqlite;

/// <summary>
/// <see cref="IJobStore"/> on one SQLite file (WAL). Several processes may share the file: every
/// write runs in a <c>BEGIN IMMEDIATE</c> transaction that holds the database write lock, and
/// every invariant (fencing, locks, idempotency) is checked inside it. Within one process all
/// writes go through one writer connection, group-committed (SqliteJobStore.Writer.cs); reads use
/// a small connection pool.
/// </summary>
public sealed partial class SqliteJobStore : SqlJobStore
{
    private readonly SqliteStoreOptions _options;
    private readonly string _connectionString;
    private readonly string _pragmas;
    private readonly ConcurrentBag<SqliteSession> _idleReaders = [];
    private int _disposed;

    public SqliteJobStore(SqliteStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = options.Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            // The store keeps its own connections; Microsoft.Data.Sqlite's pool would hold the file open after Dispose.
            Pooling = false,
            // Microsoft.Data.Sqlite retries SQLITE_BUSY for up to this long, on top of busy_timeout.
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        }.ToString();
        var sync = options.Durability == SqliteDurability.Full ? "FULL" : "NORMAL";
        _pragmas = $"PRAGMA busy_timeout={(long)options.BusyTimeout.TotalMilliseconds}; PRAGMA synchronous={sync}; PRAGMA foreign_keys=ON;";
    }

    /// <summary>Opens (creating if needed) and migrates the database at <paramref name="path"/>.</summary>
    public static async Task<SqliteJobStore> OpenAsync(string path, CancellationToken ct)
    {
        var store = new SqliteJobStore(new SqliteStoreOptions { Path = path });
        try
        {
            await store.MigrateAsync(ct);
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    protected override SqlDialect Dialect => SqliteDialect.Instance;

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await StopChangePollerAsync();
        await StopWriterAsync();
        while (_idleReaders.TryTake(out var reader))
            reader.Dispose();
    }

    protected override T Read<T>(Func<SqlSession, T> body, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ct.ThrowIfCancellationRequested();
        var session = _idleReaders.TryTake(out var idle) ? idle : null;
        try
        {
            session ??= OpenSession(wal: false);
            var result = body(session);
            if (_disposed == 0 && _idleReaders.Count < _options.MaxIdleReaders)
            {
                _idleReaders.Add(session);
                session = null;
            }

            return result;
        }
        catch (SqliteException ex)
        {
            throw Wrap(ex);
        }
        finally
        {
            session?.Dispose();
        }
    }

    private SqliteSession OpenSession(bool wal) =>
        SqliteSession.Open(_connectionString, wal ? "PRAGMA journal_mode=WAL; " + _pragmas : _pragmas);

    private static StorageException Wrap(SqliteException ex)
    {
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6): another connection held the lock too long; retrying may help.
        var transient = ex.SqliteErrorCode is 5 or 6;
        return new StorageException($"sqlite: {ex.Message}", transient, ex);
    }
}

internal static class SqliteConnectionExtensions
{
    /// <summary>True when no transaction is open on the connection.</summary>
    public static bool AutoCommit(this SqliteConnection connection) =>
        SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) != 0;

    /// <summary>Rows changed by this connection since it opened.</summary>
    public static long TotalChanges(this SqliteConnection connection) =>
        SQLitePCL.raw.sqlite3_total_changes(connection.Handle);
}
