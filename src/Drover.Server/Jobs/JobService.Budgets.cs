using System.Globalization;
using Drover.Core.Configuration;
using Drover.Core.Storage;

namespace Drover.Server.Jobs;

public sealed partial class JobService
{
    private readonly BudgetsConfig? _budgets;

    /// <summary>
    /// Today's fleet-wide budgets from <c>[budgets]</c> with what the gateway has booked against them: the UTC day overall
    /// and each label with a daily budget. Scope keys are those <see cref="Gateway.GatewayAccounting.ScopesAsync"/> books under.
    /// </summary>
    private async Task<IReadOnlyList<BudgetView>> BudgetsAsync(CancellationToken ct)
    {
        if (_budgets is not { } b || (b.DailyUsd is null && b.DailyTokens is null && b.Labels.Count == 0))
            return [];
        var now = _time.GetUtcNow();
        var day = now.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var wanted = new List<(string Scope, string Name, decimal? Usd, long? Tokens)>();
        if (b.DailyUsd is not null || b.DailyTokens is not null)
            wanted.Add(($"day:{day}", "day", b.DailyUsd, b.DailyTokens));
        foreach (var (label, usd) in b.Labels)
            wanted.Add(($"label:{label}:{day}", "label " + label, usd, null));
        var lines = await _store.BudgetLinesAsync([.. wanted.Select(w => w.Scope)], now, ct);
        return [.. wanted.Zip(lines, (w, l) => new BudgetView(w.Name, w.Usd, w.Tokens, l.SpentUsd, l.SpentTokens, l.HeldUsd))];
    }
}
