using Drover.Core.Jobs;

namespace Drover.Core.Storage;

/// <summary>
/// One schedule (SPEC §12): a cron expression in a time zone, the job template it submits (spec keys as JSON), what
/// to do when the previous job is unfinished (<see cref="Overlap"/>) or ticks were missed (<see cref="CatchUp"/>), and
/// the next tick due (<see cref="NextAt"/>), which every <c>serve</c> of a fleet races to claim.
/// </summary>
public sealed record ScheduleRecord(
    string Name,
    string Cron,
    string TimeZone,
    string TemplateJson,
    string Overlap,
    string CatchUp,
    bool FromConfig,
    DateTimeOffset NextAt,
    long? LastJobId,
    string? LastJobState,
    DateTimeOffset? LastTickAt,
    DateTimeOffset CreatedAt);

/// <summary>
/// Adds or replaces a schedule. A schedule that exists with the same cron and time zone keeps its
/// <c>next_at</c> (a restart must not forget a missed tick); otherwise <see cref="NextAt"/> is stored.
/// Without <see cref="Replace"/> an existing name is a conflict.
/// </summary>
public sealed record ScheduleUpsertParams(
    string Name,
    string Cron,
    string TimeZone,
    string TemplateJson,
    string Overlap,
    string CatchUp,
    bool FromConfig,
    DateTimeOffset NextAt,
    DateTimeOffset Now,
    bool Replace = false);

/// <summary>The config's schedules, as of a <c>serve</c> start: each upserted, and every other config schedule removed.</summary>
public sealed record ScheduleSyncParams(IReadOnlyList<ScheduleUpsertParams> Schedules, DateTimeOffset Now);

public enum ScheduleDeleteOutcome { Deleted, NotFound, FromConfig }

/// <summary>
/// Claims the tick <see cref="Due"/> of schedule <see cref="Name"/> and, in the same transaction, inserts
/// <see cref="Job"/> (its key <c>schedule:NAME:TICK</c>) unless the schedule's rules say to skip the tick; the
/// schedule's next tick becomes <see cref="Next"/> either way. Only the caller whose <see cref="Due"/> is still the
/// stored one wins; every other gets <see cref="ScheduleFireOutcome.Lost"/>. A tick more than
/// <see cref="MissedAfter"/> old at <see cref="Now"/> was missed (downtime): <c>catch_up = "skip"</c> drops it.
/// <see cref="Manual"/> (<c>schedule run</c>) inserts the job now, leaving the next tick alone.
/// </summary>
public sealed record ScheduleFireParams(
    string Name,
    DateTimeOffset Due,
    DateTimeOffset Next,
    JobInsertParams Job,
    DateTimeOffset Now,
    bool Manual = false)
{
    public static readonly TimeSpan DefaultMissedAfter = TimeSpan.FromMinutes(1);

    public TimeSpan MissedAfter { get; init; } = DefaultMissedAfter;
}

public enum ScheduleFireOutcome { Fired, Lost, SkippedOverlap, SkippedMissed }

/// <param name="Job">The job made (or found by its key) when <see cref="Outcome"/> is <see cref="ScheduleFireOutcome.Fired"/>.</param>
public sealed record ScheduleFireResult(ScheduleFireOutcome Outcome, JobRecord? Job);
