namespace Drover.Storage.Sql;

/// <summary>
/// One open connection (inside the write transaction, for writes) handed to a store rule. Each store makes
/// commands its own way: SQLite caches prepared commands by SQL text identity, Npgsql prepares repeated text itself.
/// Only compile-time constant SQL (or a dialect's fixed strings) goes through <see cref="Cmd"/>; built SQL uses
/// <see cref="Adhoc"/>. Not thread-safe: one caller at a time.
/// </summary>
public abstract class SqlSession : IDisposable
{
    protected SqlSession(SqlDialect dialect) => Dialect = dialect;

    /// <summary>The few statements whose text differs between databases.</summary>
    public SqlDialect Dialect { get; }

    /// <summary>
    /// Set by a body whose transaction changed nothing another process needs to hear about (a claim that claimed
    /// nothing, though it may have locked rows): the store then wakes nobody, so idle workers do not wake each other
    /// in turn over jobs none of them can run.
    /// </summary>
    public bool Quiet { get; set; }

    /// <summary>A command for constant SQL, with no parameters bound yet; owned by the session.</summary>
    public abstract DbCommand Cmd(string sql);

    /// <summary>A one-off command; the caller disposes it.</summary>
    public abstract DbCommand Adhoc(string sql);

    public void Exec(string sql) => Cmd(sql).ExecuteNonQuery();

    /// <summary>
    /// The statement that appends an event (<paramref name="insert"/> as given, or a store's variant of it): a store
    /// whose writers commit concurrently orders their events here.
    /// </summary>
    public virtual string EventInsert(string insert) => insert;

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected abstract void Dispose(bool disposing);
}

/// <summary>Binding and reading helpers over ADO.NET, the same for every store.</summary>
public static class SqlCommandExtensions
{
    public static DbCommand P(this DbCommand cmd, string name, object? value)
    {
        ArgumentNullException.ThrowIfNull(cmd);
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        cmd.Parameters.Add(p);
        return cmd;
    }

    /// <summary>A scalar integer whatever width the database returned it in.</summary>
    public static long Scalar64(this DbCommand cmd)
    {
        ArgumentNullException.ThrowIfNull(cmd);
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static long? NullableInt64(this DbDataReader r, int i)
    {
        ArgumentNullException.ThrowIfNull(r);
        return r.IsDBNull(i) ? null : r.GetInt64(i);
    }

    public static string? NullableString(this DbDataReader r, int i)
    {
        ArgumentNullException.ThrowIfNull(r);
        return r.IsDBNull(i) ? null : r.GetString(i);
    }
}

/// <summary>
/// SQL whose text differs between SQLite and PostgreSQL: reading JSON columns, the catalogue, row locks. Everything
/// else the stores share is written in SQL both accept (ON CONFLICT, FILTER, CAST). Every text a dialect returns is
/// the same string instance each time, so a session may cache commands by their identity.
/// </summary>
public abstract class SqlDialect
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Sql, int Kind), string> _texts = new();

    /// <summary>Appended to a SELECT whose rows the transaction will change (none where the write lock is global).</summary>
    protected virtual string RowLockClause => "";

    /// <summary>As <see cref="RowLockClause"/>, passing over rows another transaction holds.</summary>
    protected virtual string SkipLockedClause => "";


    /// <summary><paramref name="select"/> locking the rows it returns until the transaction ends.</summary>
    public string ForUpdate(string select) => _texts.GetOrAdd((select, 0), k => k.Sql + RowLockClause);

    /// <summary><paramref name="select"/> locking the rows it returns, skipping rows other transactions hold.</summary>
    public string ForUpdateSkipLocked(string select) => _texts.GetOrAdd((select, 1), k => k.Sql + SkipLockedClause);

    /// <summary>A FROM-clause source of (key, value) text pairs for the JSON object in <c>jobs.labels</c>.</summary>
    public abstract string LabelPairs { get; }

    /// <summary>The same, for a LEFT JOIN of <c>j.labels</c> (j may be null).</summary>
    public abstract string LeftJoinLabelPairs { get; }

    /// <summary>The <c>repo</c> field of the JSON text in <c>j.spec_json</c>.</summary>
    public abstract string SpecRepo { get; }

    /// <summary>Creates the table of applied migrations if missing.</summary>
    public abstract string MigrationTable { get; }

    /// <summary>A scalar that is null (or NULL) when the table of applied migrations does not exist yet.</summary>
    public abstract string MigrationTableExists { get; }
}
