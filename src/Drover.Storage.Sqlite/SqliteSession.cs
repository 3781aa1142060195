using Microsoft.Data.Sqlite;

namespace Drover.Storage.Sqlite;

/// <summary>
/// One open connection plus its prepared commands. Commands are cached by SQL text identity, so
/// only compile-time constant SQL goes through <see cref="Cmd"/>; built SQL uses <see cref="Adhoc"/>.
/// Not thread-safe: the store hands a session to one caller at a time.
/// </summary>
internal sealed class SqliteSession : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(ReferenceEqualityComparer.Instance);

    private SqliteSession(SqliteConnection connection) => Connection = connection;

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
    public SqliteCommand Cmd(string sql)
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
    public SqliteCommand Adhoc(string sql)
    {
        var cmd = Connection.CreateCommand();
        cmd.CommandText = sql;
        return cmd;
    }

    public void Exec(string sql) => Cmd(sql).ExecuteNonQuery();

    public void Dispose()
    {
        foreach (var cmd in _commands.Values)
            cmd.Dispose();
        _commands.Clear();
        Connection.Dispose();
    }
}

internal static class SqliteCommandExtensions
{
    public static SqliteCommand P(this SqliteCommand cmd, string name, object? value)
    {
        cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return cmd;
    }

    public static long? NullableInt64(this SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);

    public static string? NullableString(this SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
