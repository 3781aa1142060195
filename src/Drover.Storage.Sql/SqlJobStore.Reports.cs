using Drover.Core.Storage;

namespace Drover.Storage.Sql;

public abstract partial class SqlJobStore
{
    // Keyset paged on the primary key (job_id, n), so each page is one bounded read whatever the window.
    private const string AttemptWindowSql =
        "SELECT job_id, n, worker, started_at, ended_at, state, class, cost_nusd FROM attempts " +
        "WHERE started_at < @to AND (ended_at IS NULL OR ended_at > @from) " +
        "AND (job_id > @after_job OR (job_id = @after_job AND n > @after_n)) ORDER BY job_id, n LIMIT @limit";

    public Task<IReadOnlyList<AttemptSpanRecord>> AttemptListBetweenAsync(AttemptWindowParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return Task.FromResult(Read<IReadOnlyList<AttemptSpanRecord>>(
            s =>
            {
                var list = new List<AttemptSpanRecord>();
                using var r = s.Cmd(AttemptWindowSql)
                    .P("@to", StoreRows.Ms(p.To))
                    .P("@from", StoreRows.Ms(p.From))
                    .P("@after_job", p.AfterJobId)
                    .P("@after_n", p.AfterN)
                    .P("@limit", Math.Max(0, p.Limit))
                    .ExecuteReader();
                while (r.Read())
                {
                    list.Add(new AttemptSpanRecord(
                        r.GetInt64(0),
                        r.GetInt32(1),
                        r.GetString(2),
                        StoreRows.Time(r.GetInt64(3)),
                        r.IsDBNull(4) ? null : StoreRows.Time(r.GetInt64(4)),
                        r.GetString(5),
                        r.NullableString(6),
                        StoreRows.Usd(r.GetInt64(7))));
                }

                return list;
            },
            ct));
    }
}
