using Npgsql;

namespace Drover.Storage.Postgres;

/// <summary>
/// One connection (and, for writes, its transaction) for the body of a store operation. Commands are created per
/// call (Npgsql prepares repeated statements itself) and disposed with the session.
/// </summary>
internal sealed class PgSession(NpgsqlConnection connection, NpgsqlTransaction? transaction) : IDisposable
{
    private readonly List<NpgsqlCommand> _commands = [];

    public NpgsqlConnection Connection => connection;

    public NpgsqlCommand Cmd(string sql)
    {
        var cmd = new NpgsqlCommand(sql, connection, transaction);
        _commands.Add(cmd);
        return cmd;
    }

    public NpgsqlCommand Adhoc(string sql) => Cmd(sql);

    public void Exec(string sql) => Cmd(sql).ExecuteNonQuery();

    public void Dispose()
    {
        foreach (var c in _commands)
            c.Dispose();
        _commands.Clear();
    }
}

internal static class PgSessionExtensions
{
    public static NpgsqlCommand P(this NpgsqlCommand cmd, string name, object? value)
    {
        cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return cmd;
    }

    public static long? NullableInt64(this NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);

    public static string? NullableString(this NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
