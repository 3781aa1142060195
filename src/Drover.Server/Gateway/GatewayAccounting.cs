using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Core.Configuration;
using Drover.Core.Jobs;
using Drover.Core.Storage;

namespace Drover.Server.Gateway;

/// <summary>What one gateway request (or one provider tried on its way) did: never prompt or completion text.</summary>
public sealed record GatewayCall(
    long? JobId,
    int? Attempt,
    string Protocol,
    string Model,
    string? Provider,
    string? UpstreamModel,
    string Outcome,
    int Status,
    long InputTokens,
    long CachedInputTokens,
    long CacheWriteTokens,
    long OutputTokens,
    long ReasoningTokens,
    decimal? CostUsd,
    double LatencyMs,
    double? FirstTokenMs,
    IReadOnlyList<string> Skipped);

/// <summary>
/// The gateway's books, kept in the store so every process of a fleet shares them (SPEC §9): spend rows and
/// <c>gateway.request</c> events, budget holds and settlements with their 80%/100% alerts, and the job a budget stops.
/// </summary>
public sealed class GatewayAccounting(IJobStore store, BudgetsConfig budgets, TimeProvider time)
{
    /// <summary>A hold outlives its call only if the process died mid-call; then it lapses.</summary>
    private static readonly TimeSpan HoldTtl = TimeSpan.FromHours(1);

    public IJobStore Store => store;

    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>Every budget a call counts against: the UTC day, the job (its spec's <c>budget</c>), and its labels with a daily budget.</summary>
    public async Task<IReadOnlyList<BudgetScope>> ScopesAsync(long? jobId, CancellationToken ct)
    {
        var day = Now.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var scopes = new List<BudgetScope> { new($"day:{day}", budgets.DailyUsd, budgets.DailyTokens) };
        if (jobId is not { } id || await store.JobGetAsync(id, ct) is not { } job)
            return scopes;
        var (usd, tokens) = JobBudget(job.SpecJson);
        scopes.Add(new BudgetScope($"job:{id}", usd, tokens));
        foreach (var (key, value) in job.Labels)
        {
            if (budgets.Labels.TryGetValue($"{key}={value}", out var limit))
                scopes.Add(new BudgetScope($"label:{key}={value}:{day}", limit, null));
        }

        return scopes;
    }

    private static (decimal? Usd, long? Tokens) JobBudget(string specJson)
    {
        try
        {
            if (JsonNode.Parse(specJson)?["budget"] is JsonObject b)
                return (b["usd"] is JsonValue u && u.TryGetValue<decimal>(out var usd) ? usd : null, b["tokens"] is JsonValue t && t.TryGetValue<long>(out var tokens) ? tokens : null);
        }
        catch (JsonException)
        {
        }

        return (null, null);
    }

    public Task<BudgetReservation> ReserveAsync(IReadOnlyList<BudgetScope> scopes, decimal usd, long tokens, CancellationToken ct) =>
        scopes.Any(s => s.LimitUsd is not null || s.LimitTokens is not null)
            ? store.BudgetReserveAsync(new BudgetReserveParams(scopes, usd, tokens, Now, HoldTtl), ct)
            : Task.FromResult(new BudgetReservation(true, null, null, null));

    /// <summary>Books the call's real cost on every scope and releases its hold; alerts at 80% and 100%.</summary>
    public async Task SettleAsync(long? hold, IReadOnlyList<BudgetScope> scopes, decimal usd, long tokens, long? jobId, CancellationToken ct)
    {
        if (hold is null && scopes.All(s => s.LimitUsd is null && s.LimitTokens is null))
            return; // no budget to book against: the spend rows alone say what was spent
        var alerts = await store.BudgetSettleAsync(new BudgetSettleParams(hold ?? 0, scopes, usd, tokens, Now), ct);
        foreach (var a in alerts)
        {
            var data = JsonSerializer.Serialize(new { scope = a.Scope, percent = a.Percent, unit = a.Unit, spent = a.Spent, limit = a.Limit });
            await store.EventAppendAsync(new EventAppendParams("budget.alert", a.Scope.StartsWith("job:", StringComparison.Ordinal) ? jobId : null, null, data, Now), ct);
        }
    }

    /// <summary>When a used-up budget of this scope renews: the next UTC day for the day's and a label's daily budget;
    /// null for a job's own budget, which never does.</summary>
    public static DateTimeOffset? RenewsAt(string scope, DateTimeOffset now) =>
        scope.StartsWith("job:", StringComparison.Ordinal) ? null : new DateTimeOffset(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);

    /// <summary>
    /// A call the budget refused: the job's running attempt fails with budget_exhausted when its own budget is spent,
    /// or waits uncounted until a spent daily budget renews (its worker sees the attempt is no longer its own within a
    /// second and stops the agent).
    /// </summary>
    public async Task ExhaustedAsync(long? jobId, int? attempt, string scope, string why, CancellationToken ct)
    {
        var data = JsonSerializer.Serialize(new { scope, reason = why, job = jobId, attempt });
        await store.EventAppendAsync(new EventAppendParams("budget.exceeded", jobId, null, data, Now), ct);
        if (jobId is not { } id || await store.JobGetAsync(id, ct) is not { State: JobState.Running } job || job.Attempt != attempt)
            return;
        await store.JobCompleteAsync(
            new JobCompleteParams(id, job.Epoch, Now, RenewsAt(scope, Now) is { } renews
                ? new AttemptOutcome(AttemptOutcomeKind.Released, FailureClass.BudgetExhausted, $"gateway refused a model call: {why}", NotBefore: renews)
                : AttemptOutcome.Failure(FailureClass.BudgetExhausted, $"gateway refused a model call: {why}"), new AttemptResult(), 0.5),
            ct);
    }

    /// <summary>Records one request (or one provider tried on its way) as a spend row and, for client requests, an event.</summary>
    public async Task RecordAsync(GatewayCall call, bool asEvent, CancellationToken ct)
    {
        var now = Now;
        await store.SpendAppendAsync(
            new SpendRecord(now, call.JobId, call.Attempt, call.Provider, call.Model, call.UpstreamModel, call.Outcome, call.Status,
                call.InputTokens, call.CachedInputTokens, call.OutputTokens, call.ReasoningTokens, call.CostUsd, call.LatencyMs, call.FirstTokenMs)
            {
                CacheWriteTokens = call.CacheWriteTokens,
            },
            ct);
        if (!asEvent)
            return;
        var data = JsonSerializer.Serialize(new
        {
            job = call.JobId,
            attempt = call.Attempt,
            protocol = call.Protocol,
            model = call.Model,
            provider = call.Provider,
            upstream_model = call.UpstreamModel,
            outcome = call.Outcome,
            status = call.Status,
            input_tokens = call.InputTokens,
            cached_input_tokens = call.CachedInputTokens,
            cache_write_tokens = call.CacheWriteTokens,
            output_tokens = call.OutputTokens,
            reasoning_tokens = call.ReasoningTokens,
            cost_usd = call.CostUsd,
            cost_source = call.CostUsd is null ? "unknown" : "priced",
            latency_ms = Math.Round(call.LatencyMs, 3),
            first_token_ms = call.FirstTokenMs is { } f ? Math.Round(f, 3) : (double?)null,
            skipped = call.Skipped,
        });
        await store.EventAppendAsync(new EventAppendParams("gateway.request", call.JobId, null, data, now), ct);
    }

    /// <summary>Applies a call's verdict to its provider's circuit; a change is a <c>provider.circuit</c> event.</summary>
    public async Task ReportAsync(ProviderReportParams p, CancellationToken ct)
    {
        if (await store.ProviderReportAsync(p, ct) is { } transition)
        {
            var data = JsonSerializer.Serialize(new { provider = p.Provider, state = transition, reason = p.Error });
            await store.EventAppendAsync(new EventAppendParams("provider.circuit", null, null, data, Now), ct);
        }
    }
}
