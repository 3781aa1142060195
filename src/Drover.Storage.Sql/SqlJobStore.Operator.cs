using Drover.Core;
using Drover.Core.Jobs;
using Drover.Core.Storage;

namespace Drover.Storage.Sql;

/// <summary>Operator actions: cancel, retry, answer, approve. Each checks the state inside the write transaction.</summary>
public abstract partial class SqlJobStore
{
    private const string CancelSql =
        "UPDATE jobs SET state = 'cancelled', worker = NULL, lease_expires_at = NULL, class = 'cancelled', reason = @reason, " +
        "blocked_on = NULL, question = NULL, held_until = NULL, updated_at = @now WHERE id = @id AND state = @from";

    private const string CancelAttemptSql =
        "UPDATE attempts SET state = 'cancelled', class = 'cancelled', reason = @reason, ended_at = @now " +
        "WHERE job_id = @id AND n = @n AND ended_at IS NULL";

    private const string RequeueSql =
        "UPDATE jobs SET state = 'queued', failures = @failures, answers = @answers, blocked_on = NULL, question = NULL, " +
        "held_until = NULL, next_eligible_at = @now, updated_at = @now WHERE id = @id AND state = @from";

    private const string ApproveSql =
        "UPDATE jobs SET state = @state, class = @class, reason = @reason, blocked_on = NULL, question = NULL, updated_at = @now " +
        "WHERE id = @id AND state = 'blocked'";

    public Task<JobRecord> JobCancelAsync(JobCancelParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s =>
            {
                var job = GetJob(s, p.JobId);
                if (job.State.IsTerminal())
                    throw Conflict(job, "cannot be cancelled");
                if (p.OnlyQueued && job.State != JobState.Queued)
                    throw Conflict(job, "has already started");
                var reason = p.Reason ?? "cancelled by operator";
                var now = StoreRows.Ms(p.Now);
                if (job.State == JobState.Running)
                    s.Cmd(CancelAttemptSql).P("@reason", reason).P("@now", now).P("@id", job.Id).P("@n", job.Attempt).ExecuteNonQuery();
                s.Cmd(CancelSql).P("@reason", reason).P("@now", now).P("@id", job.Id).P("@from", job.State.ToWire()).ExecuteNonQuery();
                AppendEvent(s, "job.cancelled", job.Id, job.Worker, new { from = job.State.ToWire(), reason }, p.Now);
                PropagateDepFailed(s, job.Id, job.EngineDone, p.Now);
                return GetJob(s, job.Id);
            },
            ct);
    }

    public Task<JobRecord> JobRetryAsync(JobRetryParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s =>
            {
                var job = GetJob(s, p.JobId);
                if (job.State is not (JobState.Failed or JobState.Cancelled))
                    throw Conflict(job, "cannot be retried (only failed or cancelled jobs can)");
                Requeue(s, job, job.Answers, p.Now);
                AppendEvent(s, "job.requeued", job.Id, null, new { from = job.State.ToWire() }, p.Now);
                RequeueDepFailedDependents(s, job.Id, p.Now);
                return GetJob(s, job.Id);
            },
            ct);
    }

    public Task<JobRecord> JobAnswerAsync(JobAnswerParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s =>
            {
                var job = GetJob(s, p.JobId);
                if (job.State != JobState.Blocked || job.BlockedOn != "question")
                    throw Conflict(job, "is not waiting for an answer");
                Requeue(s, job, [.. job.Answers, p.Answer], p.Now);
                AppendEvent(s, "job.answered", job.Id, null, new { question = job.Question, answer = p.Answer }, p.Now);
                return GetJob(s, job.Id);
            },
            ct);
    }

    public Task<JobRecord> JobApproveAsync(JobApproveParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s =>
            {
                var job = GetJob(s, p.JobId);
                if (job.State != JobState.Blocked || job.BlockedOn != "approval")
                    throw Conflict(job, "is not waiting for approval");
                var cmd = s.Cmd(ApproveSql).P("@now", StoreRows.Ms(p.Now)).P("@id", job.Id);
                if (p.Approve)
                {
                    cmd.P("@state", "succeeded").P("@class", null).P("@reason", null).ExecuteNonQuery();
                    AppendEvent(s, "job.approved", job.Id, null, new { reason = p.Reason }, p.Now);
                }
                else
                {
                    var reason = "rejected: " + (p.Reason ?? "no reason given");
                    cmd.P("@state", "failed").P("@class", FailureClass.Rejected).P("@reason", reason).ExecuteNonQuery();
                    AppendEvent(s, "job.rejected", job.Id, null, new { @class = FailureClass.Rejected, reason }, p.Now);
                    PropagateDepFailed(s, job.Id, job.EngineDone, p.Now);
                }

                return GetJob(s, job.Id);
            },
            ct);
    }

    /// <summary>Back to queued, eligible now, failures reset (class/reason stay until the next attempt).</summary>
    private static void Requeue(SqlSession s, JobRecord job, IReadOnlyList<string> answers, DateTimeOffset now) =>
        s.Cmd(RequeueSql)
            .P("@failures", job.State == JobState.Blocked ? job.Failures : 0)
            .P("@answers", StoreRows.Json(answers))
            .P("@now", StoreRows.Ms(now))
            .P("@id", job.Id)
            .P("@from", job.State.ToWire())
            .ExecuteNonQuery();

    private const string DepFailedDependentsSql =
        "SELECT j.id FROM job_deps d JOIN jobs j ON j.id = d.job_id " +
        "WHERE d.dep_id = @id AND j.state = 'failed' AND j.class = 'dep_failed'";

    // A dependent goes back only when none of its other dependencies is still failed or cancelled.
    private const string HasDeadDepSql =
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM job_deps d JOIN jobs x ON x.id = d.dep_id " +
        "WHERE d.job_id = @id AND x.state IN ('failed', 'cancelled')) THEN 1 ELSE 0 END";

    private const string RequeueDependentSql =
        "UPDATE jobs SET state = 'queued', class = NULL, reason = NULL, failures = 0, next_eligible_at = @now, updated_at = @now " +
        "WHERE id = @id AND state = 'failed' AND class = 'dep_failed'";

    /// <summary>
    /// Retrying a job also gives back the jobs that failed only because it did (class <c>dep_failed</c>),
    /// transitively, so retrying the first link of a chain restarts the chain.
    /// </summary>
    private static void RequeueDepFailedDependents(SqlSession s, long retriedId, DateTimeOffset now)
    {
        var pending = new Queue<long>([retriedId]);
        while (pending.TryDequeue(out var depId))
        {
            var dependents = new List<long>();
            using (var r = s.Cmd(DepFailedDependentsSql).P("@id", depId).ExecuteReader())
            {
                while (r.Read())
                    dependents.Add(r.GetInt64(0));
            }

            foreach (var id in dependents)
            {
                if (s.Cmd(HasDeadDepSql).P("@id", id).Scalar64() != 0)
                    continue;
                if (s.Cmd(RequeueDependentSql).P("@now", StoreRows.Ms(now)).P("@id", id).ExecuteNonQuery() == 0)
                    continue;
                AppendEvent(s, "job.requeued", id, null, new { from = "failed", dependency = retriedId }, now);
                pending.Enqueue(id);
            }
        }
    }

    private static ConflictException Conflict(JobRecord job, string what) =>
        new($"job {job.Id} is {job.State.ToWire()} and {what}", job.Id, job.State.ToWire());
}
