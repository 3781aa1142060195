using System.Text.Json.Nodes;
using Drover.Core.Schedules;
using Drover.Core.Specs;
using Tomlyn.Model;
using Tomlyn.Serialization;

namespace Drover.Core.Configuration;

public static partial class DroverConfigLoader
{
    /// <summary><c>[[schedules]]</c>: name, cron, timezone, overlap, catch_up and a <c>[schedules.job]</c> template of spec keys.</summary>
    private static List<ScheduleDefinition> Schedules(TomlTable root, string source, TomlMetadataStore metadata, IReadOnlyDictionary<string, JsonObject> profiles)
    {
        var result = new List<ScheduleDefinition>();
        foreach (var s in TableArray(root, "schedules", source, metadata))
        {
            s.AllowOnly("name", "cron", "timezone", "overlap", "catch_up", "job");
            var name = s.String("name") ?? throw s.Error("name", "is required");
            if (ScheduleRules.NameProblem(name) is { } bad)
                throw s.Error("name", bad);
            if (result.Any(r => r.Name == name))
                throw s.Error("name", $"{SpecGrammar.Quote(name)} is defined twice");
            var cron = s.String("cron") ?? throw s.Error("cron", "is required (for example \"0 3 * * *\")");
            var zone = s.String("timezone") ?? "UTC";
            try
            {
                CronTimetable.Parse(cron, zone);
            }
            catch (FormatException e)
            {
                throw s.Error(e.InnerException is TimeZoneNotFoundException or InvalidTimeZoneException ? "timezone" : "cron", e.Message);
            }

            var overlap = s.String("overlap") ?? "skip";
            if (ScheduleRules.OneOf(overlap, ScheduleRules.OverlapValues) is { } o)
                throw s.Error("overlap", o);
            var catchUp = s.String("catch_up") ?? "once";
            if (ScheduleRules.OneOf(catchUp, ScheduleRules.CatchUpValues) is { } c)
                throw s.Error("catch_up", c);
            var job = s.Section("job") ?? throw s.Error("job", "is required: a [schedules.job] table of job spec keys (prompt, repo, …)");
            var template = (JsonObject)ToJson(job.Table)!;
            try
            {
                ScheduleRules.CheckTemplate(template, profiles);
            }
            catch (JobSpecException e)
            {
                throw job.Error((e.Field ?? "").Split('.')[0], e.Message);
            }

            result.Add(new ScheduleDefinition(name, cron, zone, template, overlap, catchUp));
        }

        return result;
    }
}
