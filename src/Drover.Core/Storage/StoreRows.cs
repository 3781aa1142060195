using System.Data.Common;
using System.Text.Json;
using Drover.Core.Jobs;

namespace Drover.Core.Storage;

/// <summary>
/// Column lists, unit conversions and row mapping of the stores' common schema (SQLite and PostgreSQL): times in unix
/// ms, costs in nano-USD, JSON columns as text.
/// </summary>
public static class StoreRows
{
    /// <summary>The columns <see cref="ReadJob"/> expects, in order (prefix-free: use in single-table queries and RETURNING).</summary>
    public const string JobColumns =
        "id, title, state, priority, engine, attempt, max_attempts, failures, worker, epoch, class, reason, key, lock_key, " +
        "spec_json, spec_hash, capabilities, labels, after_ids, deps_mode, created_at, updated_at, next_eligible_at, " +
        "lease_expires_at, blocked_on, question, answers, engine_done, branch, head, diff_files, diff_added, diff_deleted, " +
        "input_tokens, cached_tokens, output_tokens, cost_nusd, cost_source, model, summary, cache_write_tokens, reasoning_tokens, held_until, " +
        "delivery, delivery_mode, delivery_url, delivery_reason, delivery_tries, delivery_next_at";

    /// <summary><see cref="JobColumns"/> with an empty object in place of the spec, for lists that show no spec.</summary>
    public static readonly string JobColumnsWithoutSpec = JobColumns.Replace("spec_json,", "'{}' AS spec_json,", StringComparison.Ordinal);

    public const string AttemptColumns =
        "job_id, n, worker, epoch, state, class, reason, exit_code, started_at, ended_at, input_tokens, cached_tokens, " +
        "output_tokens, cost_nusd, cost_source, model, head, diff_files, diff_added, diff_deleted, summary, log_tail, " +
        "cache_write_tokens, reasoning_tokens";

    public const string WorkerColumns = "name, host, pid, state, slots, running, capabilities, started_at, last_heartbeat_at, gate";

    private const decimal NanoPerUsd = 1_000_000_000m;

    public static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    public static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    public static long Nano(decimal usd) => (long)decimal.Round(usd * NanoPerUsd, MidpointRounding.AwayFromZero);

    public static decimal Usd(long nano) => nano / NanoPerUsd;

    public static JobRecord ReadJob(DbDataReader r) => new()
    {
        Id = r.GetInt64(0),
        Title = r.GetString(1),
        State = JobStates.Parse(r.GetString(2)),
        Priority = r.GetInt32(3),
        Engine = r.GetString(4),
        Attempt = r.GetInt32(5),
        MaxAttempts = r.GetInt32(6),
        Failures = r.GetInt32(7),
        Worker = Str(r, 8),
        Epoch = r.GetInt64(9),
        Class = Str(r, 10),
        Reason = Str(r, 11),
        Key = Str(r, 12),
        LockKey = Str(r, 13),
        SpecJson = r.GetString(14),
        SpecHash = r.GetString(15),
        Capabilities = Strings(r.GetString(16)),
        Labels = Labels(r.GetString(17)),
        After = Ids(r.GetString(18)),
        DepsMode = r.GetString(19),
        CreatedAt = Time(r.GetInt64(20)),
        UpdatedAt = Time(r.GetInt64(21)),
        NextEligibleAt = Time(r.GetInt64(22)),
        LeaseExpiresAt = r.IsDBNull(23) ? null : Time(r.GetInt64(23)),
        BlockedOn = Str(r, 24),
        Question = Str(r, 25),
        Answers = Strings(r.GetString(26)),
        EngineDone = r.GetInt64(27) != 0,
        Branch = Str(r, 28),
        Head = Str(r, 29),
        Diff = ReadDiff(r, 30),
        Usage = ReadUsage(r, 33) with { CacheWriteTokens = r.GetInt64(40), ReasoningTokens = r.GetInt64(41) },
        Summary = Str(r, 39),
        HeldUntil = r.IsDBNull(42) ? null : Time(r.GetInt64(42)),
        Delivery = r.IsDBNull(43) ? null : new DeliveryRecord(
            r.GetString(43), r.GetString(44), Str(r, 45), Str(r, 46), r.GetInt32(47), r.IsDBNull(48) ? null : Time(r.GetInt64(48))),
    };

    public static AttemptRecord ReadAttempt(DbDataReader r) => new()
    {
        JobId = r.GetInt64(0),
        N = r.GetInt32(1),
        Worker = r.GetString(2),
        Epoch = r.GetInt64(3),
        State = r.GetString(4),
        Class = Str(r, 5),
        Reason = Str(r, 6),
        ExitCode = r.IsDBNull(7) ? null : r.GetInt32(7),
        StartedAt = Time(r.GetInt64(8)),
        EndedAt = r.IsDBNull(9) ? null : Time(r.GetInt64(9)),
        Usage = ReadUsage(r, 10) with { CacheWriteTokens = r.GetInt64(22), ReasoningTokens = r.GetInt64(23) },
        Head = Str(r, 16),
        Diff = ReadDiff(r, 17),
        Summary = Str(r, 20),
        LogTail = Str(r, 21),
    };

    public static WorkerRecord ReadWorker(DbDataReader r) => new()
    {
        Name = r.GetString(0),
        Host = r.GetString(1),
        Pid = r.GetInt32(2),
        State = r.GetString(3),
        Slots = r.GetInt32(4),
        Running = Ids(r.GetString(5)),
        Capabilities = Strings(r.GetString(6)),
        StartedAt = Time(r.GetInt64(7)),
        LastHeartbeatAt = Time(r.GetInt64(8)),
        Gate = Str(r, 9),
    };

    public static List<JobRecord> ReadJobs(DbCommand cmd)
    {
        var jobs = new List<JobRecord>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
            jobs.Add(ReadJob(r));
        return jobs;
    }

    public static JobRecord? ReadJobOrNull(DbCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        return r.Read() ? ReadJob(r) : null;
    }

    private static DiffStats? ReadDiff(DbDataReader r, int i) =>
        r.IsDBNull(i) ? null : new DiffStats(r.GetInt32(i), r.GetInt32(i + 1), r.GetInt32(i + 2));

    /// <summary>Reads input, cached, output, cost_nusd, cost_source, model starting at <paramref name="i"/>.</summary>
    private static UsageRecord ReadUsage(DbDataReader r, int i) => new(
        r.GetInt64(i),
        r.GetInt64(i + 1),
        r.GetInt64(i + 2),
        Usd(r.GetInt64(i + 3)),
        r.GetString(i + 4),
        Str(r, i + 5));

    private static string? Str(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    // ---- JSON columns ----

    public static string Json(IReadOnlyList<string> values) => values.Count == 0 ? "[]" : JsonSerializer.Serialize(values);

    public static string Json(IReadOnlyList<long> values) => values.Count == 0 ? "[]" : JsonSerializer.Serialize(values);

    public static string Json(IReadOnlyDictionary<string, string> values) =>
        values.Count == 0 ? "{}" : JsonSerializer.Serialize(values);

    public static IReadOnlyList<string> Strings(string json) =>
        json == "[]" ? [] : JsonSerializer.Deserialize<string[]>(json) ?? [];

    public static IReadOnlyList<long> Ids(string json) =>
        json == "[]" ? [] : JsonSerializer.Deserialize<long[]>(json) ?? [];

    public static IReadOnlyDictionary<string, string> Labels(string json) =>
        json == "{}"
            ? new Dictionary<string, string>()
            : JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [];
}
