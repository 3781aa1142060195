using Drover.Core.Jobs;
using Drover.Core.Scheduling;
using Drover.Core.Specs;
using Drover.Core.Storage;

namespace Drover.Storage.Sql;

/// <summary>How an attempt ends: the shared path of complete, rescue, lost workers and cancel.</summary>
public abstract partial class SqlJobStore
{
    // Only what ending an attempt needs: never the spec JSON, which may be a large prompt.
    private const string RunningJobSql =
        "SELECT id, epoch, attempt, worker, failures, max_attempts, backoff_ms, max_backoff_ms, retry_on, engine_done, " +
        "next_eligible_at, input_tokens, cached_tokens, output_tokens, cost_nusd, cost_source, model, cache_write_tokens, " +
        "reasoning_tokens, engine FROM jobs " + FenceSql;

    private const string EndAttemptSql =
        "UPDATE jobs SET state = @state, worker = NULL, lease_expires_at = NULL, class = @class, reason = @reason, " +
        "failures = @failures, next_eligible_at = @next, blocked_on = @blocked_on, question = @question, " +
        "engine_done = @engine_done, held_until = @held, branch = COALESCE(@branch, branch), head = COALESCE(@head, head), " +
        "diff_files = COALESCE(@diff_files, diff_files), diff_added = COALESCE(@diff_added, diff_added), " +
        "diff_deleted = COALESCE(@diff_deleted, diff_deleted), input_tokens = @in, cached_tokens = @cached, " +
        "output_tokens = @out, cost_nusd = @cost, cost_source = @cost_source, model = @model, " +
        "cache_write_tokens = @cache_write, reasoning_tokens = @reasoning, summary = COALESCE(@summary, summary), updated_at = @now " + FenceSql;

    private const string CloseAttemptSql =
        "UPDATE attempts SET state = @state, class = @class, reason = @reason, exit_code = @exit, ended_at = @now, " +
        "input_tokens = @in, cached_tokens = @cached, output_tokens = @out, cost_nusd = @cost, cost_source = @cost_source, " +
        "cache_write_tokens = @cache_write, reasoning_tokens = @reasoning, model = @model, head = @head, diff_files = @diff_files, diff_added = @diff_added, diff_deleted = @diff_deleted, " +
        "summary = @summary, log_tail = @log WHERE job_id = @id AND n = @n AND ended_at IS NULL";

    private const string QueuedDependentsSql =
        "SELECT j.id, j.deps_mode, j.engine_done FROM job_deps d JOIN jobs j ON j.id = d.job_id " +
        "WHERE d.dep_id = @id AND j.state = 'queued'";

    private const string MarkDepFailedSql =
        "UPDATE jobs SET state = 'failed', class = 'dep_failed', reason = @reason, held_until = NULL, updated_at = @now " +
        "WHERE id = @id AND state = 'queued' RETURNING engine_done";

    private sealed record RunningJob(
        long Id, long Epoch, int Attempt, string? Worker, int Failures, RetryPolicy Retry, bool EngineDone,
        DateTimeOffset NextEligibleAt, UsageRecord Usage, string Engine);

    private static RunningJob? ReadRunning(SqlSession s, long id, long epoch)
    {
        using var r = s.Cmd(s.Dialect.ForUpdate(RunningJobSql)).P("@id", id).P("@epoch", epoch).ExecuteReader();
        if (!r.Read())
            return null;
        var retry = new RetryPolicy(
            r.GetInt32(5),
            TimeSpan.FromMilliseconds(r.GetInt64(6)),
            TimeSpan.FromMilliseconds(r.GetInt64(7)),
            RetryOn(r.GetString(8)));
        var usage = new UsageRecord(
            r.GetInt64(11), r.GetInt64(12), r.GetInt64(13), StoreRows.Usd(r.GetInt64(14)), r.GetString(15), r.NullableString(16))
        {
            CacheWriteTokens = r.GetInt64(17),
            ReasoningTokens = r.GetInt64(18),
        };
        return new RunningJob(
            r.GetInt64(0), r.GetInt64(1), r.GetInt32(2), r.NullableString(3), r.GetInt32(4), retry, r.GetInt64(9) != 0,
            StoreRows.Time(r.GetInt64(10)), usage, r.GetString(19));
    }

    /// <summary>Most jobs share the default retry list: parse each distinct JSON text once.</summary>
    private static IReadOnlyList<string> RetryOn(string json) =>
        RetryOnCache.TryGetValue(json, out var list)
            ? list
            : RetryOnCache.Count < 256 ? RetryOnCache.GetOrAdd(json, StoreRows.Strings) : StoreRows.Strings(json);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyList<string>> RetryOnCache = new(StringComparer.Ordinal);

    /// <summary>
    /// Applies an outcome to a running job read (fenced) in this transaction: closes the attempt row,
    /// moves the job, appends the event, and fails dependents of a terminal failure.
    /// </summary>
    private static JobState EndAttempt(
        SqlSession s, RunningJob running, AttemptOutcome outcome, AttemptResult result, DateTimeOffset now, double jitter, string? attemptState)
    {
        var job = running;
        var usage = result.Usage is { } u ? job.Usage.Add(u) : job.Usage;
        var failures = job.Failures;
        var next = job.NextEligibleAt;
        DateTimeOffset? held = null;
        string? cls = null, reason = outcome.Reason, blockedOn = null, question = null, evt;
        JobState state;
        object data;
        var (refund, ownEarlier) = RecordInBreaker(s, job, outcome, now);
        switch (outcome.Kind)
        {
            case AttemptOutcomeKind.Failed when refund:
                // The engine's breaker is open (or this attempt tripped it): the outage is not the job's, so it waits
                // in the queue behind the breaker without spending a retry (nor those it spent earlier in the window).
                (state, evt, next, cls, failures) = (JobState.Queued, "job.released", now, outcome.Class, Math.Max(0, failures - ownEarlier));
                data = new { epoch = job.Epoch, @class = cls, reason, next_eligible_at = next, breaker = job.Engine };
                break;
            case AttemptOutcomeKind.Succeeded:
                (state, evt, reason) = (JobState.Succeeded, "job.succeeded", null);
                data = new { epoch = job.Epoch, attempt = job.Attempt };
                break;
            case AttemptOutcomeKind.Blocked:
                (state, evt, blockedOn, question) = (JobState.Blocked, "job.blocked", outcome.BlockedOn ?? "question", outcome.Question);
                data = new { epoch = job.Epoch, blocked_on = blockedOn, question };
                break;
            case AttemptOutcomeKind.Released:
                // Not a failure: a shutdown release runs again at once; a rate/usage limit waits for its reset.
                (state, evt, next, cls) = (JobState.Queued, "job.released", outcome.NotBefore is { } notBefore && notBefore > now ? notBefore : now, outcome.Class);
                data = new { epoch = job.Epoch, @class = cls, reason, next_eligible_at = next };
                if (outcome.GateEngine is { } engine && outcome.NotBefore is { } until && until > now)
                    CloseEngineGate(s, engine, until, reason ?? cls ?? "limit reached", now);
                break;
            default:
                cls = outcome.Class ?? FailureClass.Unknown;
                failures++;
                if (running.Retry.Retries(cls) && failures < running.Retry.MaxAttempts)
                {
                    // A lost attempt is the fleet's failure, not the job's: run it again at once (SPEC §6
                    // "released at once"); backoff is for failures the job itself may cause again.
                    var delay = cls == FailureClass.Lost ? TimeSpan.Zero : running.Retry.DelayAfter(failures, jitter);
                    (state, evt, next) = (JobState.Queued, "job.retrying", now + delay);
                    data = new { @class = cls, reason, attempt = job.Attempt, failures, next_eligible_at = next };
                }
                else if (HoldVerdict(s, job, cls))
                {
                    // Final, but perhaps not the job's fault: held until the engine's health is known (SPEC §5).
                    (state, evt, next, held) = (JobState.Queued, "job.verdict_held", now, now + EngineBreaker.HoldLimit);
                    data = new { @class = cls, reason, attempt = job.Attempt, failures, engine = job.Engine, held_until = held };
                }
                else
                {
                    (state, evt) = (JobState.Failed, "job.failed");
                    data = new { @class = cls, reason, attempt = job.Attempt, failures };
                }

                break;
        }

        var nowMs = StoreRows.Ms(now);
        var engineDone = job.EngineDone || result.EngineRan;
        var update = s.Cmd(EndAttemptSql)
            .P("@state", state.ToWire())
            .P("@class", cls)
            .P("@reason", cls is null ? null : reason)
            .P("@failures", failures)
            .P("@next", StoreRows.Ms(next))
            .P("@blocked_on", blockedOn)
            .P("@question", question)
            .P("@engine_done", engineDone ? 1 : 0)
            .P("@held", held is { } h ? StoreRows.Ms(h) : null)
            .P("@branch", result.Branch)
            .P("@summary", result.Summary);
        BindResult(update, usage, result).P("@now", nowMs).P("@id", job.Id).P("@epoch", job.Epoch).ExecuteNonQuery();
        AskDeliveryAtEnd(s, job.Id, state, cls, result.Deliver, now);

        var close = s.Cmd(CloseAttemptSql)
            .P("@state", attemptState ?? AttemptState(outcome.Kind))
            .P("@class", cls)
            .P("@reason", reason)
            .P("@exit", result.ExitCode)
            .P("@summary", result.Summary)
            .P("@log", result.LogTail);
        BindResult(close, result.Usage ?? UsageRecord.Empty, result).P("@now", nowMs).P("@id", job.Id).P("@n", job.Attempt).ExecuteNonQuery();

        AppendEvent(s, evt, job.Id, job.Worker, data, now);
        if (state == JobState.Failed)
        {
            PropagateDepFailed(s, job.Id, engineDone, now);
            // No job of the engine is left to show whether it is broken: the held ones fail with this one.
            if (EngineBreaker.Applies(job.Engine) && EngineBreaker.EngineCaused(cls))
                FailHeld(s, job.Engine, $"no other job of engine {job.Engine} left to show whether it is broken", now);
        }

        return state;
    }

    private static DbCommand BindResult(DbCommand cmd, UsageRecord usage, AttemptResult result) =>
        cmd.P("@in", usage.InputTokens)
            .P("@cached", usage.CachedInputTokens)
            .P("@out", usage.OutputTokens)
            .P("@cache_write", usage.CacheWriteTokens)
            .P("@reasoning", usage.ReasoningTokens)
            .P("@cost", StoreRows.Nano(usage.CostUsd))
            .P("@cost_source", usage.CostSource)
            .P("@model", usage.Model)
            .P("@head", result.Head)
            .P("@diff_files", result.Diff?.Files)
            .P("@diff_added", result.Diff?.Added)
            .P("@diff_deleted", result.Diff?.Deleted);

    private static string AttemptState(AttemptOutcomeKind kind) => kind switch
    {
        AttemptOutcomeKind.Succeeded => "succeeded",
        AttemptOutcomeKind.Blocked => "blocked",
        AttemptOutcomeKind.Released => "released",
        _ => "failed",
    };

    /// <summary>
    /// Fails queued dependents of a job that ended failed or cancelled, transitively (SPEC §5):
    /// hard dependents always, soft ones only when the failed job never ran its engine.
    /// </summary>
    private static void PropagateDepFailed(SqlSession s, long failedId, bool failedEngineDone, DateTimeOffset now)
    {
        var pending = new Queue<(long Id, bool EngineDone)>([(failedId, failedEngineDone)]);
        while (pending.TryDequeue(out var failed))
        {
            var dependents = new List<long>();
            using (var r = s.Cmd(QueuedDependentsSql).P("@id", failed.Id).ExecuteReader())
            {
                while (r.Read())
                {
                    if (r.GetString(1) == "hard" || !failed.EngineDone)
                        dependents.Add(r.GetInt64(0));
                }
            }

            foreach (var id in dependents)
            {
                if (MarkDepFailed(s, id, failed.Id, now) is { } engineDone)
                    pending.Enqueue((id, engineDone));
            }
        }
    }

    /// <summary>Fails one queued job because <paramref name="depId"/> failed, then its own dependents.</summary>
    private static void FailAsDependent(SqlSession s, long id, long depId, DateTimeOffset now)
    {
        if (MarkDepFailed(s, id, depId, now) is { } engineDone)
            PropagateDepFailed(s, id, engineDone, now);
    }

    private static bool? MarkDepFailed(SqlSession s, long id, long depId, DateTimeOffset now)
    {
        var reason = $"dependency {depId} failed";
        var engineDone = s.Cmd(MarkDepFailedSql).P("@reason", reason).P("@now", StoreRows.Ms(now)).P("@id", id).ExecuteScalar();
        if (engineDone is null)
            return null;
        AppendEvent(s, "job.failed", id, null, new { @class = FailureClass.DepFailed, reason, dependency = depId }, now);
        return (long)engineDone != 0;
    }
}
