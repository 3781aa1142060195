namespace Drover.Core.Gateway;

/// <summary>
/// One provider's circuit as the store keeps it (SPEC §9), shared by every process of a fleet. Times are unix ms.
/// The failure-rate window is a fixed 60 s window that restarts at the first call after it ends.
/// </summary>
public sealed record BreakerState(
    string State,
    int ConsecutiveFailures,
    long WindowStartMs,
    int WindowCalls,
    int WindowFailures,
    long? OpenUntilMs,
    long CooldownMs,
    long? ProbeUntilMs,
    long? QuotaUntilMs,
    string? LastError,
    long ChangedMs)
{
    public const string Closed = "closed";
    public const string Open = "open";
    public const string HalfOpen = "half_open";

    public static readonly BreakerState New = new(Closed, 0, 0, 0, 0, null, 0, null, null, null, 0);
}

/// <summary>How a call to a provider went, as far as its health is concerned.</summary>
public enum CallVerdict
{
    /// <summary>The provider answered (a client error such as a bad request counts: the provider is up).</summary>
    Success,

    /// <summary>Connection error, timeout, 429, 5xx, a stream cut or gone idle.</summary>
    Failure,

    /// <summary>Quota exhausted: skipped until its reset, without counting as a breaker failure.</summary>
    Quota,

    /// <summary>Says nothing about the provider (a context-length error, a client that went away).</summary>
    Neutral,
}

/// <summary>The breaker rules: pure functions of the stored state, so every store applies them alike.</summary>
public static class Breaker
{
    public const int ConsecutiveToOpen = 3;
    public const int WindowMinCalls = 10;
    public const long WindowMs = 60_000;
    public const long FirstCooldownMs = 30_000;
    public const long MaxCooldownMs = 300_000;

    /// <summary>May a call go to this provider now? A due open circuit lets exactly one probe through (half-open).</summary>
    public static (bool Admit, bool Probe, BreakerState Next, string? Why) Admit(BreakerState s, long now, long probeTtlMs)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (s.QuotaUntilMs is { } quota && now < quota)
            return (false, false, s, $"quota exhausted until {Stamp(quota)}");
        switch (s.State)
        {
            case BreakerState.Open when s.OpenUntilMs is { } until && now < until:
                return (false, false, s, $"circuit open until {Stamp(until)}{(s.LastError is null ? "" : $" ({s.LastError})")}");
            case BreakerState.Open:
                return (true, true, s with { State = BreakerState.HalfOpen, ProbeUntilMs = now + probeTtlMs, ChangedMs = now }, null);
            case BreakerState.HalfOpen when s.ProbeUntilMs is { } probe && now < probe:
                return (false, false, s, "circuit half-open: a probe call is in flight");
            case BreakerState.HalfOpen:
                // The probe's owner died or never reported: take the probe over.
                return (true, true, s with { ProbeUntilMs = now + probeTtlMs, ChangedMs = now }, null);
            default:
                return (true, false, s, null);
        }
    }

    /// <summary>The state after a call's verdict; <c>Transition</c> is "open" or "closed" when the circuit changed.</summary>
    public static (BreakerState Next, string? Transition) Report(BreakerState s, CallVerdict verdict, bool probe, long now, string? error, long? quotaUntilMs)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (verdict == CallVerdict.Quota)
            return (s with { QuotaUntilMs = quotaUntilMs ?? now + 3_600_000, LastError = error, ChangedMs = now }, null);
        if (verdict == CallVerdict.Neutral)
            return (probe && s.State == BreakerState.HalfOpen ? s with { ProbeUntilMs = null } : s, null);

        var inWindow = now - s.WindowStartMs < WindowMs;
        var windowStart = inWindow ? s.WindowStartMs : now;
        var calls = (inWindow ? s.WindowCalls : 0) + 1;
        var failures = (inWindow ? s.WindowFailures : 0) + (verdict == CallVerdict.Failure ? 1 : 0);
        var counted = s with { WindowStartMs = windowStart, WindowCalls = calls, WindowFailures = failures };

        if (s.State == BreakerState.HalfOpen && probe)
        {
            if (verdict == CallVerdict.Success)
                return (counted with { State = BreakerState.Closed, ConsecutiveFailures = 0, OpenUntilMs = null, CooldownMs = 0, ProbeUntilMs = null, WindowStartMs = now, WindowCalls = 0, WindowFailures = 0, ChangedMs = now }, BreakerState.Closed);
            var cooldown = Math.Min(Math.Max(s.CooldownMs, FirstCooldownMs / 2) * 2, MaxCooldownMs);
            return (counted with { State = BreakerState.Open, OpenUntilMs = now + cooldown, CooldownMs = cooldown, ProbeUntilMs = null, LastError = error ?? s.LastError, ChangedMs = now }, BreakerState.Open);
        }

        if (s.State != BreakerState.Closed)
            return (counted, null); // a straggler from before the circuit opened: counted, decides nothing

        if (verdict == CallVerdict.Success)
            return (counted with { ConsecutiveFailures = 0 }, null);

        var consecutive = s.ConsecutiveFailures + 1;
        var trip = consecutive >= ConsecutiveToOpen || (calls >= WindowMinCalls && failures * 2 >= calls);
        if (!trip)
            return (counted with { ConsecutiveFailures = consecutive, LastError = error ?? s.LastError }, null);
        return (counted with
        {
            State = BreakerState.Open,
            ConsecutiveFailures = consecutive,
            OpenUntilMs = now + FirstCooldownMs,
            CooldownMs = FirstCooldownMs,
            LastError = error ?? s.LastError,
            ChangedMs = now,
        }, BreakerState.Open);
    }

    private static string Stamp(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
}
