namespace Drover.Core.Storage;

/// <summary>A store's numbered schema migrations: which this build knows and which the database has (<c>drover migrate</c>).</summary>
public interface ISchemaMigrations
{
    /// <summary>The versions this build knows, in order.</summary>
    IReadOnlyList<long> KnownMigrations { get; }

    /// <summary>The versions applied to the database (none for a new one), read without migrating.</summary>
    Task<IReadOnlyList<long>> AppliedMigrationsAsync(CancellationToken ct);
}
