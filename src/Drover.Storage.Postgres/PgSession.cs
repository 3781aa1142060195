using Drover.Storage.Sql;
using Npgsql;

namespace Drover.Storage.Postgres;

/// <summary>
/// One connection (and, for writes, its transaction) for the body of a store operation. Commands are created per
/// call (Npgsql prepares repeated statements itself) and disposed with the session.
/// </summary>
internal sealed class PgSession(NpgsqlConnection connection, NpgsqlTransaction? transaction) : SqlSession(PgDialect.Instance)
{
    private readonly List<NpgsqlCommand> _commands = [];

    public NpgsqlConnection Connection => connection;

    public override NpgsqlCommand Cmd(string sql)
    {
        var cmd = new NpgsqlCommand(sql, connection, transaction);
        _commands.Add(cmd);
        return cmd;
    }

    public override NpgsqlCommand Adhoc(string sql) => new(sql, connection, transaction);

    protected override void Dispose(bool disposing)
    {
        foreach (var c in _commands)
            c.Dispose();
        _commands.Clear();
    }
}

/// <summary>JSON columns are text: cast to json to read them.</summary>
internal sealed class PgDialect : SqlDialect
{
    public static readonly PgDialect Instance = new();

    public override string LabelPairs => "json_each_text(jobs.labels::json)";

    public override string LeftJoinLabelPairs => "LEFT JOIN LATERAL json_each_text(j.labels::json) l ON true";

    public override string SpecRepo => "j.spec_json::json ->> 'repo'";

    public override string MigrationTable =>
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

    public override string MigrationTableExists => "SELECT to_regclass('schema_migrations')::text";
}
