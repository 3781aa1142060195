using System.Data.Common;
using Drover.Core;
using Drover.Core.Storage;

namespace Drover.Storage.Sql;

/// <summary>Tool calls waiting for a person (SPEC §13) and the decisions on them.</summary>
public abstract partial class SqlJobStore
{
    private const string ApprovalColumns = "id, job_id, attempt, tool, pattern, arguments, created_at, decided_at, decision, decided_by, always";

    // Fenced: the row exists only while the job runs the attempt that asked.
    private const string ApprovalInsertSql =
        "INSERT INTO approvals (job_id, attempt, tool, pattern, arguments, created_at) " +
        "SELECT id, attempt, @tool, @pattern, @arguments, @now FROM jobs WHERE id = @job AND state = 'running' AND attempt = @attempt " +
        "RETURNING id";

    private const string ApprovalByIdSql = "SELECT " + ApprovalColumns + " FROM approvals WHERE id = @id";

    private const string ApprovalDecideSql =
        "UPDATE approvals SET decided_at = @now, decision = @decision, decided_by = @by, always = @always WHERE id = @id AND decided_at IS NULL";

    public Task<ApprovalRecord?> ApprovalRequestAsync(ApprovalRequestParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s =>
            {
                var inserted = s.Cmd(ApprovalInsertSql)
                    .P("@tool", p.Tool)
                    .P("@pattern", p.Pattern)
                    .P("@arguments", p.ArgumentsJson)
                    .P("@now", StoreRows.Ms(p.Now))
                    .P("@job", p.JobId)
                    .P("@attempt", (long)p.Attempt)
                    .ExecuteScalar();
                if (inserted is null or DBNull)
                {
                    s.Quiet = true;
                    return null;
                }

                var id = Convert.ToInt64(inserted, System.Globalization.CultureInfo.InvariantCulture);
                AppendEvent(s, "approval.requested", p.JobId, null, new { id, attempt = p.Attempt, tool = p.Tool, pattern = p.Pattern }, p.Now);
                return new ApprovalRecord(id, p.JobId, p.Attempt, p.Tool, p.Pattern, p.ArgumentsJson, p.Now, null, null, null, false);
            },
            concurrent: true,
            ct);
    }

    public Task<ApprovalDecideResult> ApprovalDecideAsync(ApprovalDecideParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.Decision is not ("allow" or "deny"))
            throw new ArgumentException($"decision must be allow or deny, not {p.Decision}", nameof(p));
        return WriteAsync(
            s =>
            {
                var applied = s.Cmd(ApprovalDecideSql)
                    .P("@now", StoreRows.Ms(p.Now))
                    .P("@decision", p.Decision)
                    .P("@by", p.DecidedBy)
                    .P("@always", p.Always ? 1L : 0L)
                    .P("@id", p.Id)
                    .ExecuteNonQuery() == 1;
                var approval = ReadApproval(s, p.Id) ?? throw new NotFoundException($"tool approval {p.Id} not found");
                if (applied)
                {
                    AppendEvent(s, "approval.decided", approval.JobId, null, new
                    {
                        id = p.Id,
                        attempt = approval.Attempt,
                        tool = approval.Tool,
                        pattern = approval.Pattern,
                        decision = p.Decision,
                        always = p.Always,
                        by = p.DecidedBy,
                    }, p.Now);
                }
                else
                {
                    s.Quiet = true;
                }

                return new ApprovalDecideResult(approval, applied);
            },
            concurrent: true,
            ct);
    }

    public Task<ApprovalRecord?> ApprovalGetAsync(long id, CancellationToken ct) => Task.FromResult(Read(s => ReadApproval(s, id), ct));

    public Task<IReadOnlyList<ApprovalRecord>> ApprovalListAsync(ApprovalListParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        var where = (p.JobId, p.All) switch
        {
            (null, false) => "WHERE decided_at IS NULL",
            (null, true) => "",
            (_, false) => "WHERE job_id = @job AND decided_at IS NULL",
            (_, true) => "WHERE job_id = @job",
        };
        return Task.FromResult(Read<IReadOnlyList<ApprovalRecord>>(
            s =>
            {
                var list = new List<ApprovalRecord>();
                using var r = s.Cmd($"SELECT {ApprovalColumns} FROM approvals {where} ORDER BY id LIMIT @limit")
                    .P("@job", p.JobId)
                    .P("@limit", Math.Clamp(p.Limit, 0, 10_000))
                    .ExecuteReader();
                while (r.Read())
                    list.Add(ApprovalRow(r));
                return list;
            },
            ct));
    }

    private static ApprovalRecord? ReadApproval(SqlSession s, long id)
    {
        using var r = s.Cmd(ApprovalByIdSql).P("@id", id).ExecuteReader();
        return r.Read() ? ApprovalRow(r) : null;
    }

    private static ApprovalRecord ApprovalRow(DbDataReader r) => new(
        r.GetInt64(0),
        r.GetInt64(1),
        (int)r.GetInt64(2),
        r.GetString(3),
        r.GetString(4),
        r.GetString(5),
        StoreRows.Time(r.GetInt64(6)),
        r.NullableInt64(7) is { } decided ? StoreRows.Time(decided) : null,
        r.NullableString(8),
        r.NullableString(9),
        r.GetInt64(10) != 0);
}
