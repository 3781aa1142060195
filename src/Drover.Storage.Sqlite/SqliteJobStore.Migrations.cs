using System.Reflection;
using Drover.Core.Storage;

namespace Drover.Storage.Sqlite;

public sealed partial class SqliteJobStore
{
    private const string MigrationTableSql =
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)";

    private const string MigrationTableExistsSql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";

    private const string MigrationVersionsSql = "SELECT version FROM schema_migrations";

    private const string MigrationRecordSql =
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @at)";

    /// <summary>
    /// Applies the embedded <c>Migrations/NNNN_name.sql</c> files not yet recorded, in order, in one
    /// BEGIN IMMEDIATE transaction: a second process migrating at the same time waits for the lock and
    /// then finds every version recorded.
    /// </summary>
    public Task MigrateAsync(CancellationToken ct) =>
        WriteAsync(
            s =>
            {
                s.Exec(MigrationTableSql);
                var applied = new HashSet<long>();
                using (var r = s.Cmd(MigrationVersionsSql).ExecuteReader())
                {
                    while (r.Read())
                        applied.Add(r.GetInt64(0));
                }

                foreach (var m in Migrations.Value.Where(m => !applied.Contains(m.Version)))
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

    public IReadOnlyList<long> KnownMigrations => KnownSchemaVersions;

    public Task<IReadOnlyList<long>> AppliedMigrationsAsync(CancellationToken ct) =>
        Task.FromResult(Read<IReadOnlyList<long>>(
            s =>
            {
                if (s.Cmd(MigrationTableExistsSql).ExecuteScalar() is null)
                    return [];
                var applied = new List<long>();
                using var r = s.Cmd("SELECT version FROM schema_migrations ORDER BY version").ExecuteReader();
                while (r.Read())
                    applied.Add(r.GetInt64(0));
                return applied;
            },
            ct));

    /// <summary>The schema versions this build knows, in order (for tests and `drover doctor`).</summary>
    public static IReadOnlyList<long> KnownSchemaVersions => [.. Migrations.Value.Select(m => m.Version)];

    private static readonly Lazy<IReadOnlyList<Migration>> Migrations = new(LoadMigrations);

    private static List<Migration> LoadMigrations()
    {
        var assembly = typeof(SqliteJobStore).Assembly;
        const string prefix = "Drover.Storage.Sqlite.Migrations.";
        var list = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(prefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal))
                continue;
            // Tolerate a leading '_' that resource naming may add before a digit.
            var name = resource[prefix.Length..^".sql".Length].TrimStart('_');
            var underscore = name.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !long.TryParse(name[..underscore], out var version))
                throw new InvalidOperationException($"migration resource '{resource}' is not named NNNN_name.sql");
            list.Add(new Migration(version, name, ReadResource(assembly, resource)));
        }

        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        return list;
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"missing resource {name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private sealed record Migration(long Version, string Name, string Sql);
}
