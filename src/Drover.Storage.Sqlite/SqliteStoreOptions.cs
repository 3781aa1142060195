namespace Drover.Storage.Sqlite;

/// <summary>How hard a commit tries to reach the disk.</summary>
public enum SqliteDurability
{
    /// <summary>WAL + synchronous=NORMAL: a commit survives a process crash; the last few may be lost on power loss.</summary>
    Normal,

    /// <summary>WAL + synchronous=FULL: every commit is fsynced before it returns.</summary>
    Full,
}

/// <summary>Options of <see cref="SqliteJobStore"/>.</summary>
public sealed record SqliteStoreOptions
{
    /// <summary>The database file; created if missing.</summary>
    public required string Path { get; init; }

    public SqliteDurability Durability { get; init; } = SqliteDurability.Normal;

    /// <summary>How long a writer waits for another process's write lock before failing (transient).</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Idle read connections kept open for reuse.</summary>
    public int MaxIdleReaders { get; init; } = 8;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path))
            throw new ArgumentException("SqliteStoreOptions.Path is required", nameof(Path));
        if (BusyTimeout < TimeSpan.Zero)
            throw new ArgumentException("SqliteStoreOptions.BusyTimeout must not be negative", nameof(BusyTimeout));
        if (MaxIdleReaders < 0)
            throw new ArgumentException("SqliteStoreOptions.MaxIdleReaders must not be negative", nameof(MaxIdleReaders));
    }
}
