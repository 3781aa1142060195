using System.Globalization;
using Drover.Core.Configuration;
using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Core.Storage;
using Drover.Engines.Attempts;
using Drover.Server.Gateway;

namespace Drover.Server.Supervision;

/// <summary>
/// A job's <c>budget</c> and <c>[budgets]</c>' daily limits applied to what an engine reports about itself
/// (DROVER_USAGE lines, an agent CLI's usage), so they hold whatever the engine and whether or not it uses the gateway
/// (SPEC §3). The books are the gateway's (same scopes, same ledger). An attempt's own figures count only when it made
/// no gateway calls: otherwise the gateway has already booked the same calls, priced by Drover.
/// </summary>
internal sealed class AttemptBudget
{
    private readonly IJobStore _store;
    private readonly GatewayAccounting _books;
    private readonly JobRecord _job;
    private long? _gatewayRowsBefore;

    private AttemptBudget(IJobStore store, GatewayAccounting books, JobRecord job)
    {
        _store = store;
        _books = books;
        _job = job;
    }

    /// <summary>The attempt's budgets; null when neither the job nor <c>[budgets]</c> sets a limit (nothing to check or book).</summary>
    public static AttemptBudget? For(IJobStore store, BudgetsConfig budgets, JobRecord job, Budget? jobBudget, TimeProvider time) =>
        jobBudget is null && budgets.DailyUsd is null && budgets.DailyTokens is null && budgets.Labels.Count == 0
            ? null
            : new AttemptBudget(store, new GatewayAccounting(store, budgets, time), job);

    /// <summary>
    /// Null while every limited budget has room for what this attempt reported so far; else why it must stop. With no
    /// usage (before the engine starts) a budget already used up refuses the attempt.
    /// </summary>
    public async Task<BudgetStop?> CheckAsync(UsageRecord? reported, CancellationToken ct)
    {
        // Gateway rows of earlier attempts are left behind here: only this attempt's decide whether its own figures count.
        _gatewayRowsBefore ??= (await _store.SpendForJobAsync(_job.Id, ct)).Requests;
        var limited = await LimitedScopesAsync(ct);
        if (limited.Count == 0)
            return null;
        var counted = reported is not null && !await MadeGatewayCallsAsync(ct) ? reported : null;
        var (usd, tokens) = (counted?.CostUsd ?? 0m, Tokens(counted));
        var lines = await _store.BudgetLinesAsync([.. limited.Select(s => s.Key)], _books.Now, ct);
        foreach (var (scope, line) in limited.Zip(lines))
        {
            var (spentUsd, spentTokens) = (line.SpentUsd + usd, line.SpentTokens + tokens);
            var mine = counted is null ? "" : " with what this attempt reported";
            var renews = GatewayAccounting.RenewsAt(scope.Key, _books.Now);
            if (scope.LimitUsd is { } limitUsd && (counted is null ? spentUsd >= limitUsd : spentUsd > limitUsd))
                return new BudgetStop(string.Create(CultureInfo.InvariantCulture, $"budget {scope.Key} of ${limitUsd:0.######}: ${spentUsd:0.######} spent{mine}"), renews);
            if (scope.LimitTokens is { } limitTokens && (counted is null ? spentTokens >= limitTokens : spentTokens > limitTokens))
                return new BudgetStop(string.Create(CultureInfo.InvariantCulture, $"budget {scope.Key} of {limitTokens} tokens: {spentTokens} spent{mine}"), renews);
        }

        return null;
    }

    /// <summary>Books what the attempt reported on its job, day and labels, unless the gateway already booked its calls.</summary>
    public async Task BookAsync(UsageRecord? reported, CancellationToken ct)
    {
        if (reported is null || (reported.CostUsd == 0m && Tokens(reported) == 0) || await MadeGatewayCallsAsync(ct))
            return;
        await _books.SettleAsync(null, await _books.ScopesAsync(_job.Id, ct), reported.CostUsd, Tokens(reported), _job.Id, ct);
    }

    private async Task<IReadOnlyList<BudgetScope>> LimitedScopesAsync(CancellationToken ct) =>
        [.. (await _books.ScopesAsync(_job.Id, ct)).Where(s => s.LimitUsd is not null || s.LimitTokens is not null)];

    private async Task<bool> MadeGatewayCallsAsync(CancellationToken ct) =>
        (await _store.SpendForJobAsync(_job.Id, ct)).Requests > (_gatewayRowsBefore ?? long.MaxValue);

    /// <summary>Tokens as the gateway counts them against a budget: fresh and cached input, cache writes and output.</summary>
    private static long Tokens(UsageRecord? u) => u is null ? 0 : u.InputTokens + u.CachedInputTokens + u.CacheWriteTokens + u.OutputTokens;
}
