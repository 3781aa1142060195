using System.Globalization;
using Drover.Core.Storage;

namespace Drover.Storage.Sql;

/// <summary>Housekeeping: terminal jobs past the retention go in short batches, so the live tables and indexes stay small.</summary>
public abstract partial class SqlJobStore
{
    // The partial index ix_jobs_gc (terminal states, by updated_at) finds them without touching live jobs.
    private const string GcPickSql =
        "SELECT j.id FROM jobs j WHERE j.state IN ('succeeded', 'failed', 'cancelled') AND j.updated_at < @cutoff " +
        "AND NOT EXISTS (SELECT 1 FROM job_deps d JOIN jobs c ON c.id = d.job_id " +
        "WHERE d.dep_id = j.id AND c.state NOT IN ('succeeded', 'failed', 'cancelled')) " +
        "ORDER BY j.updated_at, j.id LIMIT @batch";

    private const string GcLooseEventsSql =
        "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE job_id IS NULL AND at < @cutoff ORDER BY id LIMIT @batch)";

    public Task<JobGcResult> JobGcAsync(JobGcParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.Batch <= 0)
            throw new ArgumentOutOfRangeException(nameof(p), p.Batch, "gc batch must be at least 1");
        return WriteAsync(
            s =>
            {
                var cutoff = StoreRows.Ms(p.Cutoff);
                var ids = new List<long>();
                using (var r = s.Cmd(GcPickSql).P("@cutoff", cutoff).P("@batch", p.Batch).ExecuteReader())
                {
                    while (r.Read())
                        ids.Add(r.GetInt64(0));
                }

                long events = 0;
                if (ids.Count > 0)
                {
                    // Ids are integers read just above: written into the statement, not bound (one statement per batch).
                    var list = string.Join(",", ids.Select(id => id.ToString(CultureInfo.InvariantCulture)));
                    events += Delete(s, $"DELETE FROM events WHERE job_id IN ({list})");
                    Delete(s, $"DELETE FROM attempts WHERE job_id IN ({list})");
                    Delete(s, $"DELETE FROM log_chunks WHERE job_id IN ({list})");
                    Delete(s, $"DELETE FROM approvals WHERE job_id IN ({list})");
                    Delete(s, $"DELETE FROM job_deps WHERE job_id IN ({list}) OR dep_id IN ({list})");
                    Delete(s, $"DELETE FROM jobs WHERE id IN ({list})");
                }

                events += s.Cmd(GcLooseEventsSql).P("@cutoff", cutoff).P("@batch", p.Batch).ExecuteNonQuery();
                return new JobGcResult(ids, events);
            },
            ct);
    }

    private static int Delete(SqlSession s, string sql)
    {
        using var cmd = s.Adhoc(sql);
        return cmd.ExecuteNonQuery();
    }
}
