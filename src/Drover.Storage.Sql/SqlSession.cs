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

    /// <summary>A command for constant SQL, with no parameters bound yet; owned by the session.</summary>
    public abstract DbCommand Cmd(string sql);

    /// <summary>A one-off command; the caller disposes it.</summary>
    public abstract DbCommand Adhoc(string sql);

    public void Exec(string sql) => Cmd(sql).ExecuteNonQuery();

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
/// SQL whose text differs between SQLite and PostgreSQL: reading JSON columns, the catalogue. Everything else the stores share is
/// written in SQL both accept (ON CONFLICT, FILTER, CAST). Strings are fixed per dialect instance, so a session
/// may cache commands by their identity.
/// </summary>
public abstract class SqlDialect
{
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
