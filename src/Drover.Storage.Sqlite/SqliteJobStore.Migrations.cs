using Drover.Storage.Sql;

namespace Drover.Storage.Sqlite;

public sealed partial class SqliteJobStore
{
    private static readonly Lazy<IReadOnlyList<SqlMigration>> LoadedMigrations =
        new(() => SqlMigration.Load(typeof(SqliteJobStore).Assembly, "Drover.Storage.Sqlite.Migrations."));

    /// <summary>The schema versions this build knows, in order (for tests and `drover doctor`).</summary>
    public static IReadOnlyList<long> KnownSchemaVersions => [.. LoadedMigrations.Value.Select(m => m.Version)];

    protected override IReadOnlyList<SqlMigration> Migrations => LoadedMigrations.Value;
}
