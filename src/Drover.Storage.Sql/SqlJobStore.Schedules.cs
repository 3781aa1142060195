using System.Data.Common;
using Drover.Core;
using Drover.Core.Storage;

namespace Drover.Storage.Sql;

/// <summary>Schedules (SPEC §12): stored cron jobs whose ticks every serve of a fleet races to claim, one job per tick.</summary>
public abstract partial class SqlJobStore
{
    private const string ScheduleColumns =
        "s.name, s.cron, s.timezone, s.template, s.overlap, s.catch_up, s.from_config, s.next_at, s.last_job_id, j.state, s.last_tick_at, s.created_at";

    private const string ScheduleSelectSql = "SELECT " + ScheduleColumns + " FROM schedules s LEFT JOIN jobs j ON j.id = s.last_job_id";

    private const string ScheduleInsertSql =
        "INSERT INTO schedules (name, cron, timezone, template, overlap, catch_up, from_config, next_at, created_at, updated_at) " +
        "VALUES (@name, @cron, @tz, @template, @overlap, @catch_up, @from_config, @next, @now, @now)";

    private const string ScheduleUpdateSql =
        "UPDATE schedules SET cron = @cron, timezone = @tz, template = @template, overlap = @overlap, catch_up = @catch_up, " +
        "from_config = @from_config, next_at = @next, updated_at = @now WHERE name = @name";

    // The compare-and-set that makes a tick one job: only the caller that read the stored next_at moves it.
    private const string ScheduleClaimSql = "UPDATE schedules SET next_at = @next, updated_at = @now WHERE name = @name AND next_at = @due";

    private const string ScheduleLastJobSql = "UPDATE schedules SET last_job_id = @job, last_tick_at = @tick WHERE name = @name";

    public Task<ScheduleRecord> ScheduleUpsertAsync(ScheduleUpsertParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s =>
            {
                var existing = ReadSchedule(s, p.Name);
                if (existing is { FromConfig: true } && !p.FromConfig)
                    throw new ConflictException($"schedule '{p.Name}' comes from drover.toml; change it there");
                if (existing is not null && !p.Replace)
                    throw new ConflictException($"schedule '{p.Name}' already exists (replace it with --replace)");
                UpsertSchedule(s, p, existing);
                return ReadSchedule(s, p.Name)!;
            },
            ct);
    }

    public Task ScheduleSyncAsync(ScheduleSyncParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(
            s =>
            {
                var names = p.Schedules.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
                foreach (var stale in ListSchedules(s).Where(r => r.FromConfig && !names.Contains(r.Name)))
                {
                    s.Cmd("DELETE FROM schedules WHERE name = @name").P("@name", stale.Name).ExecuteNonQuery();
                    AppendEvent(s, "schedule.removed", null, null, new { name = stale.Name, from_config = true }, p.Now);
                }

                foreach (var c in p.Schedules)
                    UpsertSchedule(s, c with { FromConfig = true }, ReadSchedule(s, c.Name));
                return 0;
            },
            ct);
    }

    public Task<ScheduleDeleteOutcome> ScheduleDeleteAsync(string name, CancellationToken ct) =>
        WriteAsync(
            s =>
            {
                var existing = ReadSchedule(s, name);
                if (existing is null || existing.FromConfig)
                {
                    s.Quiet = true;
                    return existing is null ? ScheduleDeleteOutcome.NotFound : ScheduleDeleteOutcome.FromConfig;
                }

                s.Cmd("DELETE FROM schedules WHERE name = @name").P("@name", name).ExecuteNonQuery();
                return ScheduleDeleteOutcome.Deleted;
            },
            ct);

    public Task<ScheduleRecord?> ScheduleGetAsync(string name, CancellationToken ct) => Task.FromResult(Read(s => ReadSchedule(s, name), ct));

    public Task<IReadOnlyList<ScheduleRecord>> ScheduleListAsync(CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<ScheduleRecord>>(Read(ListSchedules, ct));

    public Task<ScheduleFireResult> ScheduleFireAsync(ScheduleFireParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(s => FireSchedule(s, p), ct);
    }

    private static ScheduleFireResult FireSchedule(SqlSession s, ScheduleFireParams p)
    {
        var schedule = ReadSchedule(s, p.Name);
        if (schedule is null)
            throw new NotFoundException($"schedule '{p.Name}' not found");
        if (!p.Manual)
        {
            var claimed = s.Cmd(ScheduleClaimSql)
                .P("@next", StoreRows.Ms(p.Next))
                .P("@now", StoreRows.Ms(p.Now))
                .P("@name", p.Name)
                .P("@due", StoreRows.Ms(p.Due))
                .ExecuteNonQuery() == 1;
            if (!claimed)
            {
                s.Quiet = true;
                return new ScheduleFireResult(ScheduleFireOutcome.Lost, null);
            }

            var skip = p.Now - p.Due > p.MissedAfter && schedule.CatchUp == "skip"
                ? ScheduleFireOutcome.SkippedMissed
                : schedule.Overlap == "skip" && schedule.LastJobState is "queued" or "running" or "blocked"
                    ? ScheduleFireOutcome.SkippedOverlap
                    : ScheduleFireOutcome.Fired;
            if (skip != ScheduleFireOutcome.Fired)
            {
                var reason = skip == ScheduleFireOutcome.SkippedMissed ? "missed" : "overlap";
                AppendEvent(s, "schedule.skipped", schedule.LastJobId, null, new { name = p.Name, tick = p.Due.ToUnixTimeSeconds(), reason }, p.Now);
                return new ScheduleFireResult(skip, null);
            }
        }

        var job = InsertJob(s, p.Job).Job;
        s.Cmd(ScheduleLastJobSql).P("@job", job.Id).P("@tick", StoreRows.Ms(p.Manual ? p.Now : p.Due)).P("@name", p.Name).ExecuteNonQuery();
        AppendEvent(s, "schedule.fired", job.Id, null, new { name = p.Name, tick = p.Due.ToUnixTimeSeconds(), manual = p.Manual }, p.Now);
        return new ScheduleFireResult(ScheduleFireOutcome.Fired, job);
    }

    private static void UpsertSchedule(SqlSession s, ScheduleUpsertParams p, ScheduleRecord? existing)
    {
        // The same timetable keeps its pending tick, so a restart (or a re-sync) still sees the ticks it missed.
        var next = existing is not null && existing.Cron == p.Cron && existing.TimeZone == p.TimeZone ? existing.NextAt : p.NextAt;
        s.Cmd(existing is null ? ScheduleInsertSql : ScheduleUpdateSql)
            .P("@name", p.Name)
            .P("@cron", p.Cron)
            .P("@tz", p.TimeZone)
            .P("@template", p.TemplateJson)
            .P("@overlap", p.Overlap)
            .P("@catch_up", p.CatchUp)
            .P("@from_config", p.FromConfig ? 1L : 0L)
            .P("@next", StoreRows.Ms(next))
            .P("@now", StoreRows.Ms(p.Now))
            .ExecuteNonQuery();
        if (existing is null || existing.Cron != p.Cron || existing.TimeZone != p.TimeZone || existing.TemplateJson != p.TemplateJson)
            AppendEvent(s, existing is null ? "schedule.added" : "schedule.changed", null, null, new { name = p.Name, cron = p.Cron, timezone = p.TimeZone, from_config = p.FromConfig }, p.Now);
    }

    private static List<ScheduleRecord> ListSchedules(SqlSession s)
    {
        var list = new List<ScheduleRecord>();
        using var r = s.Cmd(ScheduleSelectSql + " ORDER BY s.name").ExecuteReader();
        while (r.Read())
            list.Add(ScheduleRow(r));
        return list;
    }

    private static ScheduleRecord? ReadSchedule(SqlSession s, string name)
    {
        using var r = s.Cmd(ScheduleSelectSql + " WHERE s.name = @name").P("@name", name).ExecuteReader();
        return r.Read() ? ScheduleRow(r) : null;
    }

    private static ScheduleRecord ScheduleRow(DbDataReader r) => new(
        r.GetString(0),
        r.GetString(1),
        r.GetString(2),
        r.GetString(3),
        r.GetString(4),
        r.GetString(5),
        r.GetInt64(6) != 0,
        StoreRows.Time(r.GetInt64(7)),
        r.NullableInt64(8),
        r.NullableString(9),
        r.NullableInt64(10) is { } tick ? StoreRows.Time(tick) : null,
        StoreRows.Time(r.GetInt64(11)));
}
