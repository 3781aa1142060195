using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Core;
using Drover.Core.Schedules;
using Drover.Core.Specs;
using Drover.Core.Storage;

namespace Drover.Server.Jobs;

/// <summary>A schedule as the CLI, API and dashboard show it.</summary>
public sealed record ScheduleView(
    string Name,
    string Cron,
    string Timezone,
    string Overlap,
    string CatchUp,
    bool FromConfig,
    DateTimeOffset NextRun,
    long? LastJob,
    string? LastJobState,
    DateTimeOffset? LastTick,
    JsonObject Job);

/// <summary><c>drover schedule add</c>: <see cref="Job"/> is the template (spec keys); <see cref="Replace"/> overwrites a schedule added by hand.</summary>
public sealed record ScheduleAddRequest(string Name, string Cron, string? Timezone, string? Overlap, string? CatchUp, JsonObject Job, bool Replace = false);

public sealed partial class JobService
{
    /// <summary>Stored when a cron expression never fires again (Cronos returns no next occurrence).</summary>
    private static readonly DateTimeOffset Never = new(9999, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public async Task<IReadOnlyList<ScheduleView>> SchedulesAsync(CancellationToken ct) =>
        [.. (await _store.ScheduleListAsync(ct)).Select(ToScheduleView)];

    public async Task<ScheduleView> AddScheduleAsync(ScheduleAddRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var def = CheckSchedule(request);
        var now = _time.GetUtcNow();
        var next = CronTimetable.Parse(def.Cron, def.TimeZone).Next(now) ?? Never;
        var record = await _store.ScheduleUpsertAsync(
            new ScheduleUpsertParams(def.Name, def.Cron, def.TimeZone, def.Template.ToJsonString(), def.Overlap, def.CatchUp, false, next, now, request.Replace), ct);
        return ToScheduleView(record);
    }

    public async Task RemoveScheduleAsync(string name, CancellationToken ct)
    {
        switch (await _store.ScheduleDeleteAsync(name, ct))
        {
            case ScheduleDeleteOutcome.NotFound:
                throw new NotFoundException($"schedule '{name}' not found");
            case ScheduleDeleteOutcome.FromConfig:
                throw new ConflictException($"schedule '{name}' comes from drover.toml: remove its [[schedules]] block there and restart serve");
        }
    }

    /// <summary><c>drover schedule run NAME</c>: one job now, whatever the timetable and overlap say.</summary>
    public async Task<SubmitView> RunScheduleAsync(string name, CancellationToken ct)
    {
        var schedule = await _store.ScheduleGetAsync(name, ct) ?? throw new NotFoundException($"schedule '{name}' not found");
        var now = _time.GetUtcNow();
        var job = await ScheduledJobAsync(schedule, $"schedule:{name}:run:{now.ToUnixTimeMilliseconds()}", now, ct);
        var fired = await _store.ScheduleFireAsync(new ScheduleFireParams(name, now, schedule.NextAt, job, now, Manual: true), ct);
        return new SubmitView(await ToViewAsync(fired.Job!, detail: false, ct), "created");
    }

    /// <summary>Makes the store's config schedules those of drover.toml (at serve start).</summary>
    public async Task SyncSchedulesAsync(IReadOnlyList<ScheduleDefinition> schedules, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(schedules);
        var now = _time.GetUtcNow();
        var list = schedules.Select(d => new ScheduleUpsertParams(
            d.Name, d.Cron, d.TimeZone, d.Template.ToJsonString(), d.Overlap, d.CatchUp, true,
            CronTimetable.Parse(d.Cron, d.TimeZone).Next(now) ?? Never, now, Replace: true)).ToList();
        await _store.ScheduleSyncAsync(new ScheduleSyncParams(list, now), ct);
    }

    /// <summary>
    /// Claims the due tick of <paramref name="schedule"/> and submits its job (one per tick across the fleet). The next
    /// tick is the first after <paramref name="now"/>: however many ticks a downtime missed, at most one job follows.
    /// </summary>
    internal async Task<ScheduleFireResult> FireDueAsync(ScheduleRecord schedule, DateTimeOffset now, CancellationToken ct)
    {
        var next = CronTimetable.Parse(schedule.Cron, schedule.TimeZone).Next(now) ?? Never;
        var job = await ScheduledJobAsync(schedule, $"schedule:{schedule.Name}:{schedule.NextAt.ToUnixTimeSeconds()}", now, ct);
        return await _store.ScheduleFireAsync(new ScheduleFireParams(schedule.Name, schedule.NextAt, next, job, now), ct);
    }

    private async Task<JobInsertParams> ScheduledJobAsync(ScheduleRecord schedule, string key, DateTimeOffset now, CancellationToken ct)
    {
        var template = JsonNode.Parse(schedule.TemplateJson) as JsonObject ?? throw new JobSpecException(null, "the stored template is not a JSON object");
        var spec = ParseSpec(new SubmitRequest(template, null, null, _home.Root, RequireRepo: true));
        var labels = new SortedDictionary<string, string>(spec.Labels.ToDictionary(), StringComparer.Ordinal) { ["schedule"] = schedule.Name };
        spec = spec with { Key = key, Labels = labels };
        if (spec.Base is not null || IsGitCheckout(spec.Repo))
            spec = spec with { Base = await _repos.ResolveBaseAsync(spec.Repo, spec.Base, ct) };
        var json = JobSpecJson.Serialize(spec);
        return new JobInsertParams(spec, json, JobSpecJson.Hash(json), now);
    }

    private ScheduleDefinition CheckSchedule(ScheduleAddRequest r)
    {
        if (ScheduleRules.NameProblem(r.Name) is { } name)
            throw new JobSpecException("name", name);
        var zone = r.Timezone ?? "UTC";
        try
        {
            CronTimetable.Parse(r.Cron, zone);
        }
        catch (FormatException e)
        {
            throw new JobSpecException(e.InnerException is TimeZoneNotFoundException or InvalidTimeZoneException ? "timezone" : "cron", e.Message);
        }

        var overlap = r.Overlap ?? "skip";
        if (ScheduleRules.OneOf(overlap, ScheduleRules.OverlapValues) is { } o)
            throw new JobSpecException("overlap", o);
        var catchUp = r.CatchUp ?? "once";
        if (ScheduleRules.OneOf(catchUp, ScheduleRules.CatchUpValues) is { } c)
            throw new JobSpecException("catch_up", c);
        var template = ScheduleRules.CheckTemplate(r.Job, _parseContext(_home.Root).Profiles);
        // The repo is checked here (the submitter's host), as a plain submit would.
        ParseSpec(new SubmitRequest(template, null, null, _home.Root, RequireRepo: true));
        return new ScheduleDefinition(r.Name, r.Cron, zone, template, overlap, catchUp);
    }

    private static ScheduleView ToScheduleView(ScheduleRecord r) => new(
        r.Name,
        r.Cron,
        r.TimeZone,
        r.Overlap,
        r.CatchUp,
        r.FromConfig,
        r.NextAt,
        r.LastJobId,
        r.LastJobState,
        r.LastTickAt,
        JsonNode.Parse(r.TemplateJson) as JsonObject ?? []);
}
