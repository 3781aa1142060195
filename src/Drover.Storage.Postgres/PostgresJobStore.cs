using Drover.Core;
using Drover.Core.Storage;
using Drover.Storage.Sql;
using Npgsql;

namespace Drover.Storage.Postgres;

/// <summary>
/// <see cref="IJobStore"/> on PostgreSQL, for fleets whose workers run on several hosts. The schema and the rules
/// are those of the SQLite store (times in unix ms, costs in nano-USD, JSON columns as text), so one conformance
/// suite covers both. Every write runs in one transaction that first takes the store's transaction-scoped advisory
/// lock, so writes are serialised as SQLite's are and every invariant checked inside holds; claims also skip rows
/// other transactions hold (FOR UPDATE SKIP LOCKED) and keys and running locks are unique indexes. Each write
/// NOTIFYs <see cref="ChangeChannel"/>, which wakes idle workers in every process.
/// </summary>
public sealed partial class PostgresJobStore : SqlJobStore
{
    /// <summary>The advisory lock every write transaction takes first (key 0x64727672, "drvr").</summary>
    private const string WriteLockSql = "SELECT pg_advisory_xact_lock(1685222002)";

    /// <summary>
    /// Durability as the SQLite store's default (WAL, synchronous=NORMAL): a commit survives a crash of any process,
    /// PostgreSQL's included, but the last few hundred milliseconds may be lost if the database machine loses power.
    /// </summary>
    private const string NormalDurabilitySql = "SET LOCAL synchronous_commit = off";
    /// <summary>Shared mode of <see cref="WriteLockSql"/>, for bodies that lock the rows they change.</summary>
    /// <remarks>
    /// With it, <c>enable_sort = off</c>: the claim's candidate query must walk the claim index in order (the first few
    /// eligible jobs) however few queued jobs the statistics promise. Without statistics (a new table, or a burst after
    /// the last ANALYZE saw an empty queue) the planner sorted every queued job per claim: 9 ms instead of 0.4 ms with
    /// 2,000 queued. The other bodies that run concurrently (completions, renewals, progress, logs) sort nothing.
    /// </remarks>
    private const string SharedLockSql = "SET LOCAL enable_sort = off; SELECT pg_advisory_xact_lock_shared(1685222002)";

    /// <summary>A transaction gets an id at its first write: notify (at commit) only if it has one.</summary>
    private const string NotifySql =
        "SELECT pg_notify('" + ChangeChannel + "', '') WHERE pg_current_xact_id_if_assigned() IS NOT NULL";

    private readonly NpgsqlDataSource _data;

    /// <summary>
    /// Writers of this process take turns before asking for the database's write lock: one backend per process waits
    /// on the advisory lock instead of one per caller (a queue of heavyweight-lock waiters hands over slowly).
    /// </summary>
    private readonly SemaphoreSlim _writeTurn = new(1, 1);
    private readonly bool _fullDurability;
    private int _disposed;

    /// <param name="fullDurability">Wait for every commit to reach the disk (synchronous_commit on), as SQLite's Full.</param>
    public PostgresJobStore(string connectionString, bool fullDurability = false)
    {
        _fullDurability = fullDurability;
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        var builder = new NpgsqlDataSourceBuilder(ToConnectionString(connectionString));
        builder.ConnectionStringBuilder.ApplicationName ??= "drover";
        // The store runs a fixed set of statements many times: let Npgsql prepare them (per pooled connection), and
        // keep them across pool returns (the store leaves no session state behind: SET LOCAL ends with the transaction).
        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0)
            builder.ConnectionStringBuilder.MaxAutoPrepare = 256;
        builder.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
        builder.ConnectionStringBuilder.NoResetOnClose = true;
        _data = builder.Build();
    }

    /// <summary>Opens and migrates the database a <c>postgres://</c> URL (or an Npgsql connection string) names.</summary>
    public static async Task<PostgresJobStore> OpenAsync(string url, CancellationToken ct)
    {
        var store = new PostgresJobStore(url);
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

    /// <summary><c>postgres://user:password@host:port/db?k=v</c> as an Npgsql connection string; other text is passed through.</summary>
    public static string ToConnectionString(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.StartsWith("postgres://", StringComparison.Ordinal) && !url.StartsWith("postgresql://", StringComparison.Ordinal))
            return url;
        var uri = new Uri(url);
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')) is { Length: > 0 } db ? db : "postgres",
        };
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            b.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
                b.Password = Uri.UnescapeDataString(parts[1]);
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            b[Uri.UnescapeDataString(kv[0]).Replace('_', ' ')] = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "true";
        }

        return b.ConnectionString;
    }

    /// <summary>
    /// Runs <paramref name="body"/> in a transaction holding the store's write lock (shared when
    /// <paramref name="concurrent"/>: claims, completions, renewals and progress run side by side, each having locked
    /// the rows it changes; every other write holds it alone). Transient failures are retried, and so is a claim that
    /// met another transaction's claim of the same lock key (the unique index on running lock keys refuses the second).
    /// NOTIFY only when the transaction wrote something: an empty claim wakes nobody.
    /// </summary>
    protected override async Task<T> WriteAsync<T>(Func<SqlSession, T> body, bool concurrent, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        for (var attempt = 1; ; attempt++)
        {
            ct.ThrowIfCancellationRequested();
            if (!concurrent)
                await _writeTurn.WaitAsync(ct);
            try
            {
                T result;
                bool changed;
                using (var conn = _data.OpenConnection())
                using (var tx = conn.BeginTransaction())
                {
                    using (var s = new PgSession(conn, tx))
                    {
                        // One round trip: the transaction's durability and the write lock.
                        s.Exec(concurrent
                            ? _fullDurability ? SharedLockSql : NormalDurabilitySql + "; " + SharedLockSql
                            : _fullDurability ? WriteLockSql : NormalDurabilitySql + "; " + WriteLockSql);
                        result = body(s);
                        changed = s.Notified || !s.Quiet && s.Cmd(NotifySql).ExecuteScalar() is not null;
                    }

                    tx.Commit();
                }

                if (changed)
                    SignalChange();
                return result;
            }
            catch (NpgsqlException ex) when ((IsTransient(ex) || concurrent && ex is PostgresException { SqlState: "23505" }) && attempt < 5)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(concurrent ? 5 * attempt : 50 * attempt), ct);
            }
            catch (NpgsqlException ex)
            {
                throw Wrap(ex);
            }
            finally
            {
                if (!concurrent)
                    _writeTurn.Release();
            }
        }
    }

    protected override T Read<T>(Func<SqlSession, T> body, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ct.ThrowIfCancellationRequested();
        try
        {
            using var conn = _data.OpenConnection();
            using var s = new PgSession(conn, null);
            return body(s);
        }
        catch (NpgsqlException ex)
        {
            throw Wrap(ex);
        }
    }

    private static bool IsTransient(NpgsqlException ex) =>
        ex.IsTransient || ex is PostgresException { SqlState: "40001" or "40P01" or "57P01" or "57P02" or "57P03" };

    private static StorageException Wrap(NpgsqlException ex) => new($"postgres: {ex.Message}", IsTransient(ex), ex);

    protected override SqlDialect Dialect => PgDialect.Instance;

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await StopListeningAsync();
        await _data.DisposeAsync();
        _writeTurn.Dispose();
    }
}
