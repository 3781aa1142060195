using System.Reflection;
using System.Text.Json;
using Drover.Core.Jobs;
using Drover.Core.Storage;

namespace Drover.Storage.Sql;

/// <summary>
/// The store's rules over SQL, once for every database: each <see cref="IJobStore"/> operation is a function of a
/// <see cref="SqlSession"/>, run by <see cref="WriteAsync{T}"/> inside a transaction that holds the database's write
/// lock (so every invariant checked inside holds) or by <see cref="Read{T}"/>. A store supplies the connection,
/// transaction and locking, change notification, its migrations and its <see cref="SqlDialect"/>.
/// </summary>
public abstract partial class SqlJobStore : IJobStore, ISchemaMigrations
{
    private const string EventInsertSql =
        "INSERT INTO events (at, type, job_id, worker, data) VALUES (@at, @type, @job, @worker, @data) RETURNING id";

    private const string EventListSql =
        "SELECT id, at, type, job_id, worker, data FROM events WHERE id > @after ORDER BY id LIMIT @limit";

    private const string EventListByJobSql =
        "SELECT id, at, type, job_id, worker, data FROM events WHERE job_id = @job AND id > @after ORDER BY id LIMIT @limit";

    private const string EventLastIdSql = "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM events";

    private const string MigrationVersionsSql = "SELECT version FROM schema_migrations ORDER BY version";

    private const string MigrationRecordSql =
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @at)";

    protected abstract SqlDialect Dialect { get; }

    /// <summary>Runs <paramref name="body"/> in a write transaction holding the store's write lock; throws to roll back.</summary>
    protected Task<T> WriteAsync<T>(Func<SqlSession, T> body, CancellationToken ct) => WriteAsync(body, concurrent: false, ct);

    /// <summary>
    /// As <see cref="WriteAsync{T}(Func{SqlSession, T}, CancellationToken)"/>; with <paramref name="concurrent"/> the
    /// body may run beside other concurrent bodies where the database allows it (PostgreSQL: the write lock held
    /// shared). Only bodies that lock (<see cref="SqlDialect.ForUpdate"/>) or fence every row they change are
    /// concurrent: claims, completions, lease renewals, progress. Every other body runs alone.
    /// </summary>
    protected abstract Task<T> WriteAsync<T>(Func<SqlSession, T> body, bool concurrent, CancellationToken ct);

    /// <summary>Runs <paramref name="body"/> on a read connection.</summary>
    protected abstract T Read<T>(Func<SqlSession, T> body, CancellationToken ct);

    /// <summary>This store's migrations, in order.</summary>
    protected abstract IReadOnlyList<SqlMigration> Migrations { get; }

    public abstract Task WaitForChangeAsync(TimeSpan maxWait, CancellationToken ct);

    public abstract ValueTask DisposeAsync();

    /// <summary>
    /// Applies the embedded <c>Migrations/NNNN_name.sql</c> files not yet recorded, in order, in one write
    /// transaction: a second process migrating at the same time waits for the write lock and then finds every
    /// version recorded.
    /// </summary>
    public Task MigrateAsync(CancellationToken ct) =>
        WriteAsync(
            s =>
            {
                s.Exec(s.Dialect.MigrationTable);
                var applied = new HashSet<long>();
                using (var r = s.Cmd(MigrationVersionsSql).ExecuteReader())
                {
                    while (r.Read())
                        applied.Add(r.GetInt64(0));
                }

                foreach (var m in Migrations.Where(m => !applied.Contains(m.Version)))
                {
                    using (var cmd = s.Adhoc(m.Sql))
                        cmd.ExecuteNonQuery();
                    s.Cmd(MigrationRecordSql)
                        .P("@version", m.Version)
                        .P("@name", m.Name)
                        .P("@at", StoreRows.Ms(TimeProvider.System.GetUtcNow()))
                        .ExecuteNonQuery();
                }

                return 0;
            },
            ct);

    public IReadOnlyList<long> KnownMigrations => [.. Migrations.Select(m => m.Version)];

    public Task<IReadOnlyList<long>> AppliedMigrationsAsync(CancellationToken ct) =>
        Task.FromResult(Read<IReadOnlyList<long>>(
            s =>
            {
                if (s.Cmd(s.Dialect.MigrationTableExists).ExecuteScalar() is null or DBNull)
                    return [];
                var applied = new List<long>();
                using var r = s.Cmd(MigrationVersionsSql).ExecuteReader();
                while (r.Read())
                    applied.Add(r.GetInt64(0));
                return applied;
            },
            ct));

    public Task<long> EventAppendAsync(EventAppendParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(s => AppendEvent(s, p.Type, p.JobId, p.Worker, p.DataJson, p.Now), ct);
    }

    public Task<long> EventLastIdAsync(CancellationToken ct) =>
        Task.FromResult(Read(s => s.Cmd(EventLastIdSql).Scalar64(), ct));

    public Task<IReadOnlyList<EventRecord>> EventListAsync(EventListParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return Task.FromResult(Read<IReadOnlyList<EventRecord>>(
            s =>
            {
                var filtered = p.Types is { Count: > 0 } || p.Since is not null;
                using var adhoc = filtered ? s.Adhoc(FilteredEventListSql(p)) : null;
                var cmd = (adhoc ?? s.Cmd(p.JobId is null ? EventListSql : EventListByJobSql))
                    .P("@after", p.AfterId)
                    .P("@limit", Math.Max(0, p.Limit));
                if (p.JobId is { } job)
                    cmd.P("@job", job);
                if (p.Since is { } since)
                    cmd.P("@since", StoreRows.Ms(since));
                for (var i = 0; i < (p.Types?.Count ?? 0); i++)
                    cmd.P($"@t{i}", p.Types![i]);
                var events = new List<EventRecord>();
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    events.Add(new EventRecord(
                        r.GetInt64(0),
                        StoreRows.Time(r.GetInt64(1)),
                        r.GetString(2),
                        r.NullableInt64(3),
                        r.NullableString(4),
                        r.GetString(5)));
                }

                return events;
            },
            ct));
    }

    /// <summary>The event query with the filters asked for; values are always bound, only the shape is built.</summary>
    private static string FilteredEventListSql(EventListParams p)
    {
        var sql = new System.Text.StringBuilder("SELECT id, at, type, job_id, worker, data FROM events WHERE id > @after");
        if (p.JobId is not null)
            sql.Append(" AND job_id = @job");
        if (p.Types is { Count: > 0 } types)
            sql.Append(" AND type IN (").AppendJoin(", ", Enumerable.Range(0, types.Count).Select(i => $"@t{i}")).Append(')');
        if (p.Since is not null)
            sql.Append(" AND at >= @since");
        return sql.Append(" ORDER BY id LIMIT @limit").ToString();
    }

    /// <summary>Appends an event inside the caller's transaction (every transition does, STYLE: same txn).</summary>
    protected static long AppendEvent(SqlSession s, string type, long? jobId, string? worker, string dataJson, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(s);
        return s.Cmd(s.EventInsert(EventInsertSql))
            .P("@at", StoreRows.Ms(now))
            .P("@type", type)
            .P("@job", jobId)
            .P("@worker", worker)
            .P("@data", dataJson)
            .Scalar64();
    }

    protected static long AppendEvent<TData>(SqlSession s, string type, long? jobId, string? worker, TData data, DateTimeOffset now) =>
        AppendEvent(s, type, jobId, worker, JsonSerializer.Serialize(data), now);
}

/// <summary>One numbered schema migration, <c>Migrations/NNNN_name.sql</c> embedded in a store's assembly.</summary>
public sealed record SqlMigration(long Version, string Name, string Sql)
{
    /// <summary>The <c>NNNN_name.sql</c> resources under <paramref name="prefix"/>, in version order.</summary>
    public static IReadOnlyList<SqlMigration> Load(Assembly assembly, string prefix)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var list = new List<SqlMigration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(prefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal))
                continue;
            // Tolerate a leading '_' that resource naming may add before a digit.
            var name = resource[prefix.Length..^".sql".Length].TrimStart('_');
            var underscore = name.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !long.TryParse(name[..underscore], out var version))
                throw new InvalidOperationException($"migration resource '{resource}' is not named NNNN_name.sql");
            using var stream = assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"missing resource {resource}");
            using var reader = new StreamReader(stream);
            list.Add(new SqlMigration(version, name, reader.ReadToEnd()));
        }

        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        return list;
    }
}
