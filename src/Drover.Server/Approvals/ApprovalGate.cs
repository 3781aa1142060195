using System.Text.Json;
using System.Text.RegularExpressions;
using Drover.Core.Approvals;
using Drover.Core.Configuration;
using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Approvals;

/// <summary>What the agent is told about one tool call: go ahead, or not and why.</summary>
public sealed record ApprovalAnswer(bool Allow, string Message);

/// <summary>
/// Decides one tool call of a running attempt (SPEC §13): by the rules (<see cref="ApprovalRules"/>) when they decide,
/// else by a person: the call is stored as pending and this waits, polling the store every second, for a decision from
/// any process of the fleet, up to <c>[approvals] timeout</c>; no answer denies (decided_by <c>timeout</c>).
/// </summary>
public sealed partial class ApprovalGate(
    IJobStore store, ApprovalsConfig config, Func<IReadOnlyDictionary<string, string>> secrets, TimeProvider time, ILogger logger)
{
    /// <summary>Stored arguments are cut here: enough to judge a command, not a place for a whole file's content.</summary>
    internal const int MaxArgumentChars = 8 * 1024;

    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    /// <param name="keepAlive">Called about every 10 s while a person is waiting to decide, so the caller's connection stays up.</param>
    public async Task<ApprovalAnswer> DecideAsync(
        long jobId, int attempt, string tool, JsonElement input, string? workspace, Func<CancellationToken, Task> keepAlive, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(keepAlive);
        var job = await store.JobGetAsync(jobId, ct);
        if (job is not { State: JobState.Running } || job.Attempt != attempt)
            return new ApprovalAnswer(false, "Drover: this attempt is no longer running");
        var spec = JobSpecJson.Deserialize(job.SpecJson);
        var rules = config.Rules.Concat(spec.Approvals.Select(ApprovalRule.Parse));
        var always = (await store.ApprovalListAsync(new ApprovalListParams(jobId, All: true), ct))
            .Where(a => a.Always && ApprovalRule.ParseAction(a.Decision) is not null)
            .Select(a => new ApprovalRule(a.Pattern, ApprovalRule.ParseAction(a.Decision)!.Value));
        var verdict = ApprovalRules.Decide(rules, always, tool, input, workspace);
        if (verdict.Rule is { } rule)
            Log.ApprovalByRule(logger, jobId, attempt, tool, ApprovalRule.ActionName(verdict.Action), rule.ToString());
        return verdict.Action switch
        {
            ApprovalAction.Allow => new ApprovalAnswer(true, "allowed"),
            ApprovalAction.Deny => new ApprovalAnswer(false, $"Drover denied this tool call: rule \"{verdict.Rule}\". Do not retry it; find another way or stop."),
            _ => await AskAsync(job, spec, tool, input, keepAlive, ct),
        };
    }

    private async Task<ApprovalAnswer> AskAsync(
        JobRecord job, JobSpec spec, string tool, JsonElement input, Func<CancellationToken, Task> keepAlive, CancellationToken ct)
    {
        var pattern = ApprovalRules.ExactPattern(tool, input);
        var args = Redact(input.GetRawText(), spec);
        var asked = await store.ApprovalRequestAsync(new ApprovalRequestParams(job.Id, job.Attempt, tool, Redact(pattern, spec), args, time.GetUtcNow()), ct);
        if (asked is null)
            return new ApprovalAnswer(false, "Drover: this attempt is no longer running");
        Log.ApprovalAsked(logger, job.Id, job.Attempt, asked.Id, asked.Pattern);
        var deadline = asked.CreatedAt + config.Timeout;
        var lastKeepAlive = time.GetUtcNow();
        try
        {
            while (true)
            {
                var now = time.GetUtcNow();
                if (await store.ApprovalGetAsync(asked.Id, ct) is { Pending: false } decided)
                    return Answer(decided);
                if (now >= deadline)
                    return Answer((await DecideAsync(asked.Id, "timeout", CancellationToken.None)).Approval);
                if (now - lastKeepAlive >= TimeSpan.FromSeconds(10))
                {
                    await keepAlive(ct);
                    lastKeepAlive = now;
                }

                var wait = deadline - now < Poll ? deadline - now : Poll;
                await Task.Delay(wait, time, ct);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The agent went away (killed, cancelled, timed out): nobody can act on the call any more.
            await DecideAsync(asked.Id, "abandoned", CancellationToken.None);
            throw;
        }
    }

    private async Task<ApprovalDecideResult> DecideAsync(long id, string by, CancellationToken ct)
    {
        var result = await store.ApprovalDecideAsync(new ApprovalDecideParams(id, "deny", false, by, time.GetUtcNow()), ct);
        if (result.Applied)
            Log.ApprovalDecided(logger, id, result.Approval.JobId, "deny", by);
        return result;
    }

    private static ApprovalAnswer Answer(ApprovalRecord decided) => decided.Decision == "allow"
        ? new ApprovalAnswer(true, "allowed")
        : new ApprovalAnswer(false, decided.DecidedBy == "timeout"
            ? "Drover denied this tool call: nobody answered in time. Do not retry it; find another way or stop."
            : $"Drover denied this tool call ({decided.DecidedBy} said no). Do not retry it; find another way or stop.");

    /// <summary>The job's secret values and any attempt key are masked; the text is cut at <see cref="MaxArgumentChars"/>.</summary>
    private string Redact(string text, JobSpec spec)
    {
        if (spec.Secrets.Count > 0)
        {
            var values = secrets();
            foreach (var name in spec.Secrets)
            {
                if (values.TryGetValue(name, out var value) && value.Length >= 4)
                    text = text.Replace(value, $"[secret {name}]", StringComparison.Ordinal);
            }
        }

        text = JobKey().Replace(text, "drvjob_[masked]");
        return text.Length <= MaxArgumentChars ? text : text[..MaxArgumentChars] + "…[cut]";
    }

    [GeneratedRegex(@"drvjob_[0-9]+_[0-9]+_[0-9a-f]+")]
    private static partial Regex JobKey();
}
