using System.Text.Json;
using Drover.Core.Jobs;
using Drover.Core.Scheduling;
using Drover.Core.Storage;

namespace Drover.Server.Jobs;

public sealed partial class JobService
{
    /// <summary>How much of a job's free text (summary, question, why, reason) a list row carries; the job's own view has all of it.</summary>
    internal const int ListTextChars = 300;

    /// <summary>A row of a job list: no spec and its free text cut to <see cref="ListTextChars"/>, so a page stays small.</summary>
    internal async Task<JobView> ToListViewAsync(JobRecord job, CancellationToken ct)
    {
        var view = await ToViewAsync(job, detail: false, ct, withSpec: false);
        return view with { Summary = Cut(view.Summary), Question = Cut(view.Question), Why = Cut(view.Why), Reason = Cut(view.Reason) };

        static string? Cut(string? text) =>
            text is null || text.Length <= ListTextChars ? text : text[..(char.IsHighSurrogate(text[ListTextChars - 1]) ? ListTextChars - 1 : ListTextChars)] + "…";
    }

    internal async Task<JobView> ToViewAsync(JobRecord job, bool detail, CancellationToken ct, bool withSpec = true)
    {
        IReadOnlyList<AttemptView>? attempts = null;
        IReadOnlyList<EventView>? events = null;
        string? why = null;
        SpendRowView? spend = null;
        IReadOnlyList<ApprovalView>? approvals = null;
        if (detail)
        {
            var s = await _store.SpendForJobAsync(job.Id, ct);
            spend = new SpendRowView(s.Key, s.Requests, s.Failed, s.InputTokens, s.CachedInputTokens, s.OutputTokens, s.ReasoningTokens, s.CostUsd, s.UnpricedRequests)
            {
                CacheWriteTokens = s.CacheWriteTokens,
            };
            attempts = (await _store.AttemptListAsync(job.Id, ct)).Select(ToView).ToList();
            events = (await _store.EventListAsync(new EventListParams(0, 200, job.Id), ct)).Select(ToView).ToList();
            why = await WhyAsync(job, ct);
            approvals = job.State == JobState.Running ? await ApprovalsAsync(job.Id, all: false, ct) : [];
        }
        else if (job.State == JobState.Blocked)
        {
            why = BlockedWhy(job);
        }

        JsonElement? spec = null;
        if (withSpec)
        {
            using var doc = JsonDocument.Parse(job.SpecJson);
            spec = doc.RootElement.Clone();
        }

        return new JobView
        {
            GatewaySpend = spend,
            Id = job.Id,
            Title = job.Title,
            State = job.State.ToWire(),
            Priority = job.Priority,
            Engine = job.Engine,
            Attempt = job.Attempt,
            MaxAttempts = job.MaxAttempts,
            Failures = job.Failures,
            Worker = job.Worker,
            Epoch = job.Epoch,
            Why = why,
            Class = job.Class,
            Reason = job.Reason,
            Key = job.Key,
            Lock = job.LockKey,
            Labels = job.Labels,
            After = job.After,
            CreatedAt = job.CreatedAt,
            UpdatedAt = job.UpdatedAt,
            NextEligibleAt = job.State == JobState.Queued ? job.NextEligibleAt : null,
            LeaseExpiresAt = job.State == JobState.Running ? job.LeaseExpiresAt : null,
            BlockedOn = job.State == JobState.Blocked ? job.BlockedOn : null,
            Question = job.State == JobState.Blocked ? job.Question : null,
            Branch = job.Branch,
            Head = job.Head,
            Diff = job.Diff is { } d ? new DiffView(d.Files, d.Added, d.Deleted) : null,
            Usage = ToView(job.Usage),
            Summary = job.Summary,
            Delivery = job.Delivery is { } dv ? new DeliveryView(dv.State, dv.Mode, dv.Url, dv.Reason, dv.Tries, dv.State == "pending" ? dv.NextAt : null) : null,
            Spec = spec,
            Attempts = attempts,
            Events = events,
            PendingApprovals = approvals,
        };
    }

    /// <summary>SPEC §4: why a waiting job is not running, in words; null unless it waits.</summary>
    internal async Task<string?> WhyAsync(JobRecord job, CancellationToken ct)
    {
        if (job.State == JobState.Blocked)
            return BlockedWhy(job);
        if (job.State == JobState.Running)
            return await ApprovalWhyAsync(job, ct);
        if (job.State != JobState.Queued)
            return null;

        var reasons = new List<string>();
        var now = _time.GetUtcNow();
        var fleet = await _store.FleetGetAsync(ct);
        if (job.HeldUntil is { } heldUntil)
        {
            return $"held: its last attempt failed {job.Class ?? FailureClass.Unknown}; waiting to learn whether engine {job.Engine} is broken " +
                $"(a trip of its breaker or `drover resume --engine {job.Engine}` queues it again with its retry back; an attempt that shows " +
                $"the engine works, or {heldUntil:yyyy-MM-dd'T'HH:mm:ss'Z'}, fails it)";
        }

        if (fleet.Paused)
            reasons.Add("fleet paused (drover resume)");
        if (FleetGates.MaxRunning(fleet) is { } cap)
            reasons.Add(cap);
        if (fleet.Breakers.FirstOrDefault(b => b.Engine == job.Engine) is { } breaker)
            reasons.Add(FleetGates.Breaker(breaker, now));
        else if (fleet.Gates.FirstOrDefault(g => g.Engine == job.Engine && g.Until > now) is { } gate)
            reasons.Add($"engine {gate.Engine} waiting until {gate.Until:yyyy-MM-dd'T'HH:mm:ss'Z'}: {gate.Reason}");
        else if (job.NextEligibleAt > now && job.Class == FailureClass.BudgetExhausted)
            reasons.Add($"a daily budget is used up ({job.Reason}): waiting until it renews at {job.NextEligibleAt:yyyy-MM-dd'T'HH:mm:ss'Z'}");
        else if (job.NextEligibleAt > now)
            reasons.Add($"backoff until {job.NextEligibleAt:yyyy-MM-dd'T'HH:mm:ss'Z'} after {job.Class ?? "a failure"}");

        var waiting = new List<string>();
        foreach (var depId in job.After)
        {
            var dep = await _store.JobGetAsync(depId, ct);
            if (dep is null)
                continue;
            var ok = dep.State == JobState.Succeeded || (job.DepsMode == "soft" && (dep.EngineDone || dep.State.IsTerminal()));
            if (!ok)
                waiting.Add($"#{dep.Id} ({dep.State.ToWire()})");
        }

        if (waiting.Count > 0)
            reasons.Add("waiting on deps: " + string.Join(", ", waiting));

        if (job.LockKey is { } lockKey && await _store.JobLockHolderAsync(lockKey, ct) is { } holder && holder != job.Id)
            reasons.Add($"lock {lockKey} held by job {holder}");

        var workers = await _store.WorkerListAsync(ct);
        var live = workers.Where(w => w.State is not ("lost" or "stopped") && now - w.LastHeartbeatAt < _heartbeatTimeout).ToList();
        if (live.Count == 0)
            reasons.Add("no live worker (start `drover serve` or `drover worker`)");
        else if (live.All(w => w.Gate is not null))
            reasons.Add("no worker is claiming: " + string.Join("; ", live.Select(w => $"{w.Name} {w.Gate}")));
        else if (job.Engine.Length > 0 && !live.Any(w => w.Capabilities.Any(c => c == $"engine:{job.Engine}" || c.StartsWith($"engine:{job.Engine}>", StringComparison.Ordinal))))
            reasons.Add($"no live worker has the {job.Engine} engine (workers advertise engine:<name> for each agent CLI they find)");
        else if (job.Capabilities.Count > 0 && !live.Any(w => CapabilityMatcher.Satisfies(w.Capabilities, job.Capabilities)))
            reasons.Add("no worker with capabilities " + string.Join(", ", job.Capabilities));
        else if (reasons.Count == 0)
            reasons.Add("ready: waiting for a free worker slot");

        return string.Join("; ", reasons);
    }

    private static string BlockedWhy(JobRecord job) => job.BlockedOn switch
    {
        "question" => $"awaiting answer: {job.Question} (drover answer {job.Id} \"...\")",
        "approval" => $"awaiting approval (drover approve {job.Id})",
        "proposal" => $"proposed: waiting for a person to accept or reject it (drover proposals accept|reject {job.Id})",
        _ => "blocked",
    };

    internal static UsageView ToView(UsageRecord u) =>
        new(u.InputTokens, u.CachedInputTokens, u.OutputTokens, u.CostUsd, u.CostSource, u.Model, u.CacheWriteTokens, u.ReasoningTokens);

    internal static AttemptView ToView(AttemptRecord a) => new(
        a.N,
        a.Worker,
        a.State,
        a.Class,
        a.Reason,
        a.ExitCode,
        a.StartedAt,
        a.EndedAt,
        a.EndedAt is { } end ? Math.Round((end - a.StartedAt).TotalSeconds, 3) : null,
        ToView(a.Usage),
        a.Head,
        a.Diff is { } d ? new DiffView(d.Files, d.Added, d.Deleted) : null,
        a.Summary);
}
