using Drover.Storage.Sql;
using Microsoft.Data.Sqlite;

namespace Drover.Storage.Sqlite;

/// <summary>
/// One open connection plus its prepared commands. Commands are cached by SQL text identity, so
/// only compile-time constant SQL goes through <see cref="Cmd"/>; built SQL uses <see cref="Adhoc"/>.
/// Not thread-safe: the store hands a session to one caller at a time.
/// </summary>
internal sealed class SqliteSession : SqlSession
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(ReferenceEqualityComparer.Instance);

    private SqliteSession(SqliteConnection connection)
        : base(SqliteDialect.Instance) => Connection = connection;

    public SqliteConnection Connection { get; }

    public static SqliteSession Open(string connectionString, string pragmas)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = pragmas;
            cmd.ExecuteNonQuery();
            return new SqliteSession(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>A cached, prepared command for constant SQL, with its parameters cleared.</summary>
    public override SqliteCommand Cmd(string sql)
    {
        if (!_commands.TryGetValue(sql, out var cmd))
        {
            cmd = Connection.CreateCommand();
            cmd.CommandText = sql;
            _commands.Add(sql, cmd);
        }

        cmd.Parameters.Clear();
        return cmd;
    }

    /// <summary>A one-off command; the caller disposes it.</summary>
    public override SqliteCommand Adhoc(string sql)
    {
        var cmd = Connection.CreateCommand();
        cmd.CommandText = sql;
        return cmd;
    }

    protected override void Dispose(bool disposing)
    {
        foreach (var cmd in _commands.Values)
            cmd.Dispose();
        _commands.Clear();
        Connection.Dispose();
    }
}

/// <summary>JSON through SQLite's json1 functions.</summary>
internal sealed class SqliteDialect : SqlDialect
{
    public static readonly SqliteDialect Instance = new();

    public override string LabelPairs => "json_each(jobs.labels)";

    public override string LeftJoinLabelPairs => "LEFT JOIN json_each(j.labels) l";

    public override string SpecRepo => "json_extract(j.spec_json, '$.repo')";

    public override string MigrationTable =>
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)";

    public override string MigrationTableExists => "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
}
