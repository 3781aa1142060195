using Drover.Storage.Sql;
using Npgsql;

namespace Drover.Storage.Postgres;

/// <summary>
/// One connection (and, for writes, its transaction) for the body of a store operation. Commands are created per
/// call (Npgsql prepares repeated statements itself) and disposed with the session.
/// </summary>
internal sealed class PgSession(NpgsqlConnection connection, NpgsqlTransaction? transaction, bool concurrent = false)
    : SqlSession(PgDialect.Instance)
{
    /// <summary>Held from a concurrent transaction's first event to its commit (key "drve").</summary>
    private const string EventLockSql = "SELECT pg_advisory_xact_lock(1685222757)";

    private readonly List<NpgsqlCommand> _commands = [];
    private bool _eventLocked;

    public NpgsqlConnection Connection => connection;

    public override NpgsqlCommand Cmd(string sql)
    {
        var cmd = new NpgsqlCommand(sql, connection, transaction);
        _commands.Add(cmd);
        return cmd;
    }

    public override NpgsqlCommand Adhoc(string sql) => new(sql, connection, transaction);

    /// <summary>
    /// Concurrent transactions take turns from their first event to their commit, so event ids commit in order and a
    /// reader paging by id never passes an event that commits later with a smaller id. (A transaction holding the
    /// write lock alone has no concurrent writer to order against.)
    /// </summary>
    public override void BeforeEvent()
    {
        if (!concurrent || _eventLocked)
            return;
        Exec(EventLockSql);
        _eventLocked = true;
    }

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

    protected override string RowLockClause => " FOR UPDATE";

    // Only the claim candidates take this (their jobs table is aliased j; the others it reads are not locked).
    protected override string SkipLockedClause => " FOR UPDATE OF j SKIP LOCKED";
}
