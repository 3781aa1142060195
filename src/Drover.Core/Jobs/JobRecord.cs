namespace Drover.Core.Jobs;

/// <summary>A job as stored: the read model behind `show`, `ls` and the API.</summary>
public sealed record JobRecord
{
    public required long Id { get; init; }
    public required string Title { get; init; }
    public required JobState State { get; init; }
    public required int Priority { get; init; }
    public required string Engine { get; init; }

    /// <summary>Attempts started so far (claims).</summary>
    public int Attempt { get; init; }

    public int MaxAttempts { get; init; }

    /// <summary>Failed attempts so far; retries stop when this reaches <see cref="MaxAttempts"/>.</summary>
    public int Failures { get; init; }

    public string? Worker { get; init; }
    public long Epoch { get; init; }
    public string? Class { get; init; }
    public string? Reason { get; init; }
    public string? Key { get; init; }
    public string? LockKey { get; init; }
    public required string SpecJson { get; init; }
    public required string SpecHash { get; init; }
    public IReadOnlyList<string> Capabilities { get; init; } = [];
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<long> After { get; init; } = [];
    public string DepsMode { get; init; } = "hard";
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public required DateTimeOffset NextEligibleAt { get; init; }
    public DateTimeOffset? LeaseExpiresAt { get; init; }

    /// <summary>Why a blocked job waits: "question" or "approval".</summary>
    public string? BlockedOn { get; init; }

    public string? Question { get; init; }

    /// <summary>Answers given with `drover answer`, oldest first; appended to the prompt.</summary>
    public IReadOnlyList<string> Answers { get; init; } = [];

    /// <summary>Set once the job's engine has finished running at least once (soft deps).</summary>
    public bool EngineDone { get; init; }

    public string? Branch { get; init; }
    public string? Head { get; init; }
    public DiffStats? Diff { get; init; }
    public UsageRecord Usage { get; init; } = UsageRecord.Empty;
    public string? Summary { get; init; }

    /// <summary>
    /// Queued but held (SPEC §5): its last attempt failed finally with a class its engine may have caused, and the
    /// verdict waits until the engine's health is known or this time passes. Not claimed while set.
    /// </summary>
    public DateTimeOffset? HeldUntil { get; init; }

    /// <summary>The delivery of the job's branch (SPEC §12), or null when none was asked.</summary>
    public DeliveryRecord? Delivery { get; init; }
}

/// <summary>
/// A job's delivery: <paramref name="State"/> pending | delivered | failed; <paramref name="Mode"/> push | pr | pr_draft;
/// <paramref name="Url"/> the pull request (or the pushed branch); <paramref name="Reason"/> why the last try failed;
/// <paramref name="Tries"/> tries so far; <paramref name="NextAt"/> when a pending delivery is tried next.
/// </summary>
public sealed record DeliveryRecord(string State, string Mode, string? Url, string? Reason, int Tries, DateTimeOffset? NextAt);

public sealed record DiffStats(int Files, int Added, int Deleted);

/// <summary>
/// Tokens and dollars. <see cref="InputTokens"/> is fresh input only: cache reads (<see cref="CachedInputTokens"/>) and
/// cache writes (<see cref="CacheWriteTokens"/>) are kept apart because they are priced apart.
/// <see cref="OutputTokens"/> includes <see cref="ReasoningTokens"/>. <see cref="CostSource"/>: reported | priced |
/// estimated | unknown | mixed.
/// </summary>
public sealed record UsageRecord(
    long InputTokens,
    long CachedInputTokens,
    long OutputTokens,
    decimal CostUsd,
    string CostSource,
    string? Model)
{
    public static readonly UsageRecord Empty = new(0, 0, 0, 0m, "unknown", null);

    public long CacheWriteTokens { get; init; }

    /// <summary>Reasoning ("thinking") tokens, already counted in <see cref="OutputTokens"/>.</summary>
    public long ReasoningTokens { get; init; }

    public bool IsEmpty => InputTokens == 0 && CachedInputTokens == 0 && CacheWriteTokens == 0 && OutputTokens == 0 && CostUsd == 0m;

    public UsageRecord Add(UsageRecord other) => new(
        InputTokens + other.InputTokens,
        CachedInputTokens + other.CachedInputTokens,
        OutputTokens + other.OutputTokens,
        CostUsd + other.CostUsd,
        IsEmpty ? other.CostSource : other.IsEmpty ? CostSource : CostSource == other.CostSource ? CostSource : "mixed",
        other.Model ?? Model)
    {
        CacheWriteTokens = CacheWriteTokens + other.CacheWriteTokens,
        ReasoningTokens = ReasoningTokens + other.ReasoningTokens,
    };
}

/// <summary>One execution of a job by a worker.</summary>
public sealed record AttemptRecord
{
    public required long JobId { get; init; }
    public required int N { get; init; }
    public required string Worker { get; init; }
    public required long Epoch { get; init; }

    /// <summary>running | succeeded | failed | blocked | released | cancelled | lost.</summary>
    public required string State { get; init; }

    public string? Class { get; init; }
    public string? Reason { get; init; }
    public int? ExitCode { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public UsageRecord Usage { get; init; } = UsageRecord.Empty;
    public string? Head { get; init; }
    public DiffStats? Diff { get; init; }
    public string? Summary { get; init; }
    public string? LogTail { get; init; }
}

/// <summary>An append-only event (SPEC §2): job.*, worker.*, fleet.*.</summary>
public sealed record EventRecord(long Id, DateTimeOffset At, string Type, long? JobId, string? Worker, string DataJson);

/// <summary>A worker process's row.</summary>
public sealed record WorkerRecord
{
    public required string Name { get; init; }
    public required string Host { get; init; }
    public required int Pid { get; init; }

    /// <summary>idle | busy | draining | lost | stopped.</summary>
    public required string State { get; init; }

    public required int Slots { get; init; }
    public IReadOnlyList<long> Running { get; init; } = [];
    public IReadOnlyList<string> Capabilities { get; init; } = [];
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset LastHeartbeatAt { get; init; }

    /// <summary>Why the worker claims nothing now (low memory or disk, runs/ not writable); null when it claims.</summary>
    public string? Gate { get; init; }
}
