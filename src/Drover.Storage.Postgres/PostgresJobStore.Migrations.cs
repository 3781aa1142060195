using Drover.Storage.Sql;

namespace Drover.Storage.Postgres;

public sealed partial class PostgresJobStore
{
    private static readonly Lazy<IReadOnlyList<SqlMigration>> LoadedMigrations =
        new(() => SqlMigration.Load(typeof(PostgresJobStore).Assembly, "Drover.Storage.Postgres.Migrations."));

    /// <summary>The schema versions this build knows, in order.</summary>
    public static IReadOnlyList<long> KnownSchemaVersions => [.. LoadedMigrations.Value.Select(m => m.Version)];

    protected override IReadOnlyList<SqlMigration> Migrations => LoadedMigrations.Value;
}
