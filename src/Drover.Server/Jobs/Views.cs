using System.Text.Json;
using System.Text.Json.Serialization;
using Drover.Core;

namespace Drover.Server.Jobs;

// The JSON shapes of SPEC §10, shared by the HTTP API and `--json` CLI output.

public sealed record UsageView(
    long InputTokens,
    long CachedInputTokens,
    long OutputTokens,
    decimal CostUsd,
    string CostSource,
    string? Model,
    long CacheWriteTokens,
    long ReasoningTokens);

public sealed record DiffView(int Files, int Added, int Deleted);

public sealed record AttemptView(
    int N,
    string Worker,
    string State,
    string? Class,
    string? Reason,
    int? ExitCode,
    DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt,
    double? DurationS,
    UsageView Usage,
    string? Head,
    DiffView? Diff,
    string? Summary);

public sealed record EventView(long Id, DateTimeOffset At, string Type, long? JobId, string? Worker, JsonElement Data);

public sealed record JobView
{
    public required long Id { get; init; }
    public required string Title { get; init; }
    public required string State { get; init; }
    public required int Priority { get; init; }
    public required string Engine { get; init; }
    public int Attempt { get; init; }
    public int MaxAttempts { get; init; }
    public int Failures { get; init; }
    public string? Worker { get; init; }
    public long Epoch { get; init; }
    public string? Why { get; init; }
    public string? Class { get; init; }
    public string? Reason { get; init; }
    public string? Key { get; init; }
    public string? Lock { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<long> After { get; init; } = [];
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? NextEligibleAt { get; init; }
    public DateTimeOffset? LeaseExpiresAt { get; init; }
    public string? BlockedOn { get; init; }
    public string? Question { get; init; }
    public string? Branch { get; init; }
    public string? Head { get; init; }
    public DiffView? Diff { get; init; }
    public required UsageView Usage { get; init; }
    public string? Summary { get; init; }

    /// <summary>The branch's delivery (SPEC §12): state, mode, pull request URL, why it failed; null when none was asked.</summary>
    public DeliveryView? Delivery { get; init; }

    /// <summary>The job's spec; not in list rows (<c>GET /api/jobs</c>, <c>ls --json</c>), which stay small.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Spec { get; init; }
    public IReadOnlyList<AttemptView>? Attempts { get; init; }
    public IReadOnlyList<EventView>? Events { get; init; }

    /// <summary>Tool calls of the running attempt waiting for a person (detail only; SPEC §13).</summary>
    public IReadOnlyList<ApprovalView>? PendingApprovals { get; init; }

    /// <summary>What this job's model calls through the gateway cost, from the gateway's own records (detail only).</summary>
    public SpendRowView? GatewaySpend { get; init; }
}

/// <summary>A job's delivery: pending | delivered | failed, push | pr | pr_draft, the pull request, the last problem.</summary>
public sealed record DeliveryView(string State, string Mode, string? Url, string? Reason, int Tries, DateTimeOffset? NextAt);

public sealed record JobListView(IReadOnlyList<JobView> Jobs, long? NextCursor);

public sealed record WorkerView(
    string Name,
    string Host,
    int Pid,
    string State,
    int Slots,
    IReadOnlyList<long> Running,
    IReadOnlyList<string> Capabilities,
    DateTimeOffset StartedAt,
    DateTimeOffset LastHeartbeatAt,
    double HeartbeatAgeS)
{
    /// <summary>Why the worker claims nothing now (low memory or disk, run files not writable); null while it claims.</summary>
    public string? Gate { get; init; }
}

public sealed record StatusView(
    IReadOnlyList<WorkerView> Workers,
    IReadOnlyDictionary<string, long> Counts,
    bool Paused,
    IReadOnlyList<string> Gates,
    IReadOnlyList<EngineGateView> EngineGates,
    IReadOnlyList<BudgetView>? Budgets = null)
{
    /// <summary>Free memory and disk of the host answering, beside the gates' thresholds.</summary>
    public HostView? Host { get; init; }
}

/// <summary>What the claim gates measure on one host (null: the host does not say), and their thresholds (0: off).</summary>
public sealed record HostView(string Name, string Home, long? FreeMemoryBytes, long MinFreeMemoryBytes, long? FreeDiskBytes, long MinFreeDiskBytes);

/// <summary>A daily budget from <c>[budgets]</c> (<see cref="Scope"/> "day" or "label k=v") and what today's gateway calls used of it.</summary>
public sealed record BudgetView(string Scope, decimal? LimitUsd, long? LimitTokens, decimal SpentUsd, long SpentTokens, decimal HeldUsd);

/// <summary>An engine no job is started on until <see cref="Until"/> (its provider's usage limit resets then).</summary>
public sealed record EngineGateView(string Engine, DateTimeOffset Until, string Reason);

public sealed record SubmitView(JobView Job, string Outcome);

public sealed record SpendView(string Period, string By, DateTimeOffset Since, IReadOnlyList<SpendRowView> Rows);

/// <summary><see cref="UnpricedRequests"/>: requests with tokens but no price (their cost is unknown, not $0).</summary>
public sealed record SpendRowView(
    string Key, long Requests, long Failed, long InputTokens, long CachedInputTokens, long OutputTokens, long ReasoningTokens,
    decimal CostUsd, long UnpricedRequests)
{
    public long CacheWriteTokens { get; init; }
}

/// <summary>One provider for <c>drover providers</c> / <c>GET /api/providers</c>.</summary>
public sealed record ProviderView(
    string Name, string Kind, string BaseUrl, IReadOnlyList<string> Models, bool Priced,
    ProviderCircuitView Circuit, ProviderLimitsView Limits, ProviderUsedView Used, ProviderRecentView LastHour,
    string? Health, DateTimeOffset? HealthAt);

/// <param name="ProbeDue">Open, but its cool-down is over: the next call is the half-open probe.</param>
public sealed record ProviderCircuitView(
    string State, bool ProbeDue, int ConsecutiveFailures, DateTimeOffset? OpenUntil, double CooldownSeconds, string? LastError, DateTimeOffset? QuotaUntil);

/// <summary>Configured limits; 0 = unlimited.</summary>
public sealed record ProviderLimitsView(int Rpm, int Rpd, long Tpm, int MaxConcurrent);

/// <summary>Counted fleet-wide: requests in the last minute and day, tokens in the last minute, calls in flight.</summary>
public sealed record ProviderUsedView(long Rpm, long Rpd, long Tpm, long InFlight);

/// <summary>Upstream requests of the last hour: failures include failed-over tries; latency over answered ones.</summary>
public sealed record ProviderRecentView(long Calls, long Failures, double? ErrorRate, double? LatencyP50Ms, double? LatencyP99Ms);

/// <param name="Errors">For a rejected spec: every problem found (<see cref="Error"/> and <see cref="Field"/> are the first).</param>
public sealed record ErrorView(string Error, string? Field = null, long? Id = null, string? State = null, IReadOnlyList<JobSpecError>? Errors = null);

public static class DroverJson
{
    /// <summary>snake_case, RFC 3339 UTC times, nulls written (scripts may rely on the keys).</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = false,
        Converters = { new UtcDateTimeOffsetConverter() },
    };

    public static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true };

    private sealed class UtcDateTimeOffsetConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            DateTimeOffset.Parse(reader.GetString()!, System.Globalization.CultureInfo.InvariantCulture);

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
    }
}
