using Drover.Core.Gateway;

namespace Drover.Core.Storage;

/// <summary>A provider's limits as the store checks them; 0 = unlimited.</summary>
public sealed record ProviderLimits(int Rpm, int Rpd, long Tpm, int MaxConcurrent)
{
    public bool Any => Rpm > 0 || Rpd > 0 || Tpm > 0 || MaxConcurrent > 0;
}

/// <param name="EstimatedTokens">Counted against tpm until the call reports its real tokens.</param>
/// <param name="ProbeTtl">How long a half-open probe may take before another process may probe instead.</param>
/// <param name="CallTtl">How long an unreported call holds a concurrency slot (its process may have died).</param>
public sealed record ProviderAdmitParams(
    string Provider,
    ProviderLimits Limits,
    long EstimatedTokens,
    DateTimeOffset Now,
    TimeSpan ProbeTtl,
    TimeSpan CallTtl);

/// <summary>
/// Admitted: the call may go (a call row holds its rate-limit place when <see cref="CallId"/> is set). Otherwise
/// <see cref="Why"/> says which gate (circuit, quota, rpm, rpd, tpm, concurrency) and <see cref="RetryAt"/> when it may free.
/// </summary>
public sealed record ProviderAdmission(bool Admitted, long? CallId, bool Probe, string? Why, DateTimeOffset? RetryAt)
{
    public static readonly ProviderAdmission Free = new(true, null, false, null, null);
}

/// <param name="Tokens">The call's real tokens (all kinds), replacing its estimate for tpm.</param>
public sealed record ProviderReportParams(
    string Provider,
    long? CallId,
    bool Probe,
    CallVerdict Verdict,
    string? Error,
    DateTimeOffset? QuotaUntil,
    long Tokens,
    DateTimeOffset Now);

/// <summary>One provider as <c>drover providers</c> shows it: circuit, limits used now, and its recent calls.</summary>
public sealed record ProviderStatusRecord(
    string Provider,
    BreakerState Breaker,
    long RequestsLastMinute,
    long RequestsLastDay,
    long TokensLastMinute,
    long InFlight,
    long Calls,
    long Failures,
    double? LatencyP50Ms,
    double? LatencyP99Ms,
    string? Health,
    DateTimeOffset? HealthAt);

/// <summary>A budget a call counts against: a job, a day fleet-wide, or a label for a day. Null limit = not limited.</summary>
public sealed record BudgetScope(string Key, decimal? LimitUsd, long? LimitTokens);

/// <param name="Usd">The call's worst-case cost (0 for a free or unpriced provider: neither consumes a USD budget).</param>
/// <param name="Ttl">How long the hold lasts if its call never settles (the process died).</param>
public sealed record BudgetReserveParams(IReadOnlyList<BudgetScope> Scopes, decimal Usd, long Tokens, DateTimeOffset Now, TimeSpan Ttl);

/// <summary>Granted with a hold to settle, or refused naming the scope and what is left of it.</summary>
public sealed record BudgetReservation(bool Granted, long? HoldId, string? RefusedScope, string? Why);

public sealed record BudgetSettleParams(long HoldId, IReadOnlyList<BudgetScope> Scopes, decimal Usd, long Tokens, DateTimeOffset Now);

/// <summary>A scope whose spend crossed 80% or 100% of a limit (each threshold once per scope).</summary>
public sealed record BudgetAlert(string Scope, int Percent, string Unit, decimal Spent, decimal Limit);

public sealed record BudgetLine(string Scope, decimal SpentUsd, long SpentTokens, decimal HeldUsd, long HeldTokens);
