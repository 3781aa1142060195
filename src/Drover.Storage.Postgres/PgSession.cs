using Drover.Storage.Sql;
using Npgsql;

namespace Drover.Storage.Postgres;

/// <summary>
/// One connection (and, for writes, its transaction) for the body of a store operation. Commands are created per
/// call (Npgsql prepares repeated statements itself) and disposed with the session.
/// </summary>
internal sealed class PgSession(NpgsqlConnection connection, NpgsqlTransaction? transaction)
    : SqlSession(PgDialect.Instance)
{
    /// <summary>
    /// A transaction's first event: taken with the event lock (key "drve"), held to commit, and the change
    /// notification (sent at commit), in the same round trip. Same columns and parameters as the store's insert.
    /// </summary>
    private const string FirstEventInsertSql =
        "WITH l AS (SELECT pg_advisory_xact_lock(1685222757), pg_notify('" + PostgresJobStore.ChangeChannel + "', '')) " +
        "INSERT INTO events (at, type, job_id, worker, data) SELECT @at, @type, @job, @worker, @data FROM l RETURNING id";

    private readonly List<NpgsqlCommand> _commands = [];

    public NpgsqlConnection Connection => connection;

    public override NpgsqlCommand Cmd(string sql)
    {
        var cmd = new NpgsqlCommand(sql, connection, transaction);
        _commands.Add(cmd);
        return cmd;
    }

    public override NpgsqlCommand Adhoc(string sql) => new(sql, connection, transaction);

    /// <summary>True once the transaction has queued its change notification (with its first event).</summary>
    public bool Notified { get; private set; }

    /// <summary>
    /// Transactions take turns from their first event to their commit, so event ids commit in order and a reader
    /// paging by id never passes an event that commits later with a smaller id (only concurrent transactions could
    /// interleave, but taking the lock costs nothing extra: it rides on the insert).
    /// </summary>
    public override string EventInsert(string insert)
    {
        if (Notified)
            return insert;
        Notified = true;
        return FirstEventInsertSql;
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
