using System.Text.Json.Nodes;
using Cronos;
using Drover.Core.Specs;

namespace Drover.Core.Schedules;

/// <summary>
/// A schedule (SPEC §12) as configured or added by hand: <see cref="Cron"/> in <see cref="TimeZone"/> (IANA), the job
/// <see cref="Template"/> (spec keys) each tick submits, and the <see cref="Overlap"/> and <see cref="CatchUp"/> rules.
/// </summary>
public sealed record ScheduleDefinition(string Name, string Cron, string TimeZone, JsonObject Template, string Overlap = "skip", string CatchUp = "once");

/// <summary>The rules a schedule's fields follow, shared by <c>[[schedules]]</c> and <c>drover schedule add</c>.</summary>
public static class ScheduleRules
{
    public static readonly IReadOnlyList<string> OverlapValues = ["skip", "queue"];
    public static readonly IReadOnlyList<string> CatchUpValues = ["once", "skip"];

    /// <summary>Null when <paramref name="name"/> is a valid schedule name, else the rule it breaks.</summary>
    public static string? NameProblem(string name) =>
        SpecGrammar.ProfileName().IsMatch(name) ? null : $"{SpecGrammar.Quote(name)} is not a valid schedule name (letters, digits, _ . -, at most 64)";

    /// <summary>Null when the value is one of <paramref name="allowed"/>, else a message naming them.</summary>
    public static string? OneOf(string value, IReadOnlyList<string> allowed) =>
        allowed.Contains(value, StringComparer.Ordinal) ? null : $"{SpecGrammar.Quote(value)} is not one of {string.Join(", ", allowed)}";

    /// <summary>
    /// Checks a template: its keys are spec keys and its values pass the spec parser (with the config's profiles).
    /// <c>key</c> is refused (each tick's job is keyed <c>schedule:NAME:TICK</c>). <c>repo</c> is checked when a
    /// tick submits, since it may name a directory of another host. Throws <see cref="JobSpecException"/>.
    /// </summary>
    /// <returns>The template with its keys normalized (snake_case).</returns>
    public static JsonObject CheckTemplate(JsonObject template, IReadOnlyDictionary<string, JsonObject> profiles)
    {
        ArgumentNullException.ThrowIfNull(template);
        var keys = SpecKeys.Normalize(template);
        if (keys.ContainsKey("key"))
            throw new JobSpecException("key", "a schedule's jobs are keyed schedule:NAME:TICK; remove key from the template");
        var profile = keys["profile"] is JsonValue pv && pv.TryGetValue<string>(out var pn) ? pn : "default";
        if (keys["repo"] is null && !(profiles.TryGetValue(profile, out var given) && given["repo"] is not null))
            throw new JobSpecException("repo", "required: the absolute path of the directory or git checkout each job works in");
        var copy = (JsonObject)keys.DeepClone();
        copy.Remove("repo");
        var withoutRepos = profiles.ToDictionary(kv => kv.Key, kv => WithoutRepo(kv.Value), StringComparer.Ordinal);
        JobSpecParser.ParseObject(copy, new SpecParseContext(Path.GetTempPath(), withoutRepos));
        return keys;
    }

    private static JsonObject WithoutRepo(JsonObject profile)
    {
        var copy = (JsonObject)profile.DeepClone();
        copy.Remove("repo");
        return copy;
    }
}

/// <summary>A parsed cron expression in a time zone: 5 fields, or 6 with seconds first (Cronos syntax, macros such as <c>@daily</c>).</summary>
public sealed class CronTimetable
{
    private readonly CronExpression _expression;
    private readonly TimeZoneInfo _zone;

    private CronTimetable(CronExpression expression, TimeZoneInfo zone)
    {
        _expression = expression;
        _zone = zone;
    }

    /// <summary>Throws <see cref="FormatException"/> naming what is wrong with the expression or the zone.</summary>
    public static CronTimetable Parse(string cron, string timeZone)
    {
        ArgumentNullException.ThrowIfNull(cron);
        ArgumentNullException.ThrowIfNull(timeZone);
        var fields = cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields is not (5 or 6) && !cron.TrimStart().StartsWith('@'))
            throw new FormatException($"{SpecGrammar.Quote(cron)} is not a cron expression: it has {fields} fields, expected 5 (minute hour day month weekday) or 6 with seconds first");
        CronExpression expression;
        try
        {
            expression = CronExpression.Parse(cron.Trim(), fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException e)
        {
            throw new FormatException($"{SpecGrammar.Quote(cron)} is not a cron expression (5 fields, or 6 with seconds first): {e.Message}", e);
        }

        TimeZoneInfo zone;
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new FormatException($"{SpecGrammar.Quote(timeZone)} is not a known time zone (an IANA name such as UTC or Europe/Berlin)", e);
        }

        return new CronTimetable(expression, zone);
    }

    /// <summary>The first tick strictly after <paramref name="after"/>; null when the expression never fires again.</summary>
    public DateTimeOffset? Next(DateTimeOffset after) =>
        _expression.GetNextOccurrence(after, _zone) is { } next ? next.ToUniversalTime() : null;
}
