namespace Drover.Core.Jobs;

/// <summary>Failure classes of SPEC §4, one per failed attempt. Stored as these strings.</summary>
public static class FailureClass
{
    public const string Crash = "crash";
    public const string Timeout = "timeout";
    public const string Stalled = "stalled";
    public const string Lost = "lost";
    public const string VerifyFailed = "verify_failed";
    public const string ScopeViolation = "scope_violation";
    public const string RateLimited = "rate_limited";
    public const string QuotaExhausted = "quota_exhausted";
    public const string BudgetExhausted = "budget_exhausted";
    public const string ContextLimit = "context_limit";
    public const string Auth = "auth";
    public const string ModelError = "model_error";
    public const string DependencyMissing = "dependency_missing";
    public const string DepFailed = "dep_failed";
    public const string NoEngine = "no_engine";
    public const string Infra = "infra";
    public const string Cancelled = "cancelled";

    /// <summary>A person rejected the finished work of a <c>review: human</c> job.</summary>
    public const string Rejected = "rejected";
    public const string Unknown = "unknown";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        Crash, Timeout, Stalled, Lost, VerifyFailed, ScopeViolation, RateLimited, QuotaExhausted,
        BudgetExhausted, ContextLimit, Auth, ModelError, DependencyMissing, DepFailed, NoEngine,
        Infra, Cancelled, Rejected, Unknown,
    };
}
