using System.Globalization;
using Drover.Core.Jobs;

namespace Drover.Core.Scheduling;

public enum EngineBreakerState { Closed, Open, Probing }

/// <summary>An engine's failure-rate breaker as stored (SPEC §5).</summary>
/// <param name="Recent">The engine's last attempts, oldest first, at most <see cref="EngineBreaker.Window"/>, space
/// separated: <c>F&lt;job id&gt;</c> failed with a class the job did not cause, <c>o</c> anything else.</param>
/// <param name="Trips">Trips since the breaker last closed; the cool-down doubles with each.</param>
/// <param name="Until">While open: when the cool-down ends and one probe attempt may run.</param>
/// <param name="Reason">The last engine-caused failure (<c>class: reason</c>).</param>
/// <param name="ProbeJob">While probing: the job whose attempt decides.</param>
public sealed record EngineBreakerRecord(
    string Engine, string Recent, EngineBreakerState State, int Trips, DateTimeOffset? Until, string? Reason, long? ProbeJob)
{
    public static EngineBreakerRecord Closed(string engine) => new(engine, "", EngineBreakerState.Closed, 0, null, null, null);
}

/// <param name="Next">The breaker after this attempt.</param>
/// <param name="Tripped">The breaker opened with this attempt (a trip or a failed probe): raise the alert.</param>
/// <param name="Refund">The attempt failed for the engine while its breaker is open: the job goes back to queued and
/// the attempt does not count against its retries.</param>
/// <param name="RefundEarlier">On a trip: the jobs whose earlier attempts in the window failed for the engine, once per
/// attempt. Those still queued get the retry back (a job that already failed for good stays failed).</param>
public sealed record BreakerDecision(EngineBreakerRecord Next, bool Tripped, bool Refund)
{
    public IReadOnlyList<long> RefundEarlier { get; init; } = [];
}

/// <summary>
/// The failure-rate breaker (SPEC §5), pure: when at least 4 of an engine's last 5 attempts failed with a class the
/// job did not cause, the engine is not claimed for a cool-down (1 min, doubling per trip up to 30 min); then one
/// probe attempt runs. A probe that fails reopens it with the doubled cool-down; one that does not closes and resets it.
/// </summary>
public static class EngineBreaker
{
    public const int Window = 5;

    /// <summary>80% of <see cref="Window"/>. Fewer than 5 attempts so far count as if the missing ones had not failed.</summary>
    public const int TripFailures = 4;

    public static readonly TimeSpan FirstCooldown = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxCooldown = TimeSpan.FromMinutes(30);

    /// <summary>How long a held verdict waits for the engine's health to be known before the job fails anyway.</summary>
    public static readonly TimeSpan HoldLimit = TimeSpan.FromMinutes(15);

    /// <summary>The shell engine runs the job's own command: its failures are the job's, so it has no breaker.</summary>
    public static bool Applies(string engine) => engine.Length > 0 && engine != "shell";

    /// <summary>Classes the job did not cause: the engine (or its login, install, provider) did.</summary>
    public static bool EngineCaused(string? cls) => cls is FailureClass.Auth or FailureClass.Crash or FailureClass.ModelError
        or FailureClass.Infra or FailureClass.DependencyMissing or FailureClass.QuotaExhausted;

    public static TimeSpan Cooldown(int trips)
    {
        var t = FirstCooldown;
        for (var i = 1; i < trips && t < MaxCooldown; i++)
            t += t;
        return t < MaxCooldown ? t : MaxCooldown;
    }

    /// <summary>
    /// An attempt of <paramref name="current"/>'s engine ended. <paramref name="cls"/> is the failure class, null when
    /// it did not fail (succeeded, blocked on a question or approval). Attempts that were lost or released do not count.
    /// </summary>
    public static BreakerDecision OnAttemptEnded(EngineBreakerRecord current, long jobId, string? cls, string? reason, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(current);
        var failed = EngineCaused(cls);
        var why = failed ? $"{cls}: {reason}" : current.Reason;
        if (current.State == EngineBreakerState.Probing && current.ProbeJob == jobId)
        {
            return failed
                ? new(Open(current, current.Trips + 1, why, now), Tripped: true, Refund: true)
                : new(EngineBreakerRecord.Closed(current.Engine), Tripped: false, Refund: false);
        }

        // Open (or probing on another job): the verdict is out; attempts already running when it tripped are not the jobs' fault.
        if (current.State != EngineBreakerState.Closed)
            return new(failed ? current with { Reason = why } : current, Tripped: false, Refund: failed);

        var window = current.Recent.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        window.Add(failed ? "F" + jobId.ToString(CultureInfo.InvariantCulture) : "o");
        if (window.Count > Window)
            window.RemoveRange(0, window.Count - Window);
        var next = current with { Recent = string.Join(' ', window), Reason = why };
        if (window.Count(t => t[0] == 'F') < TripFailures)
            return new(next, Tripped: false, Refund: false);
        var earlier = window.Take(window.Count - 1).Where(t => t[0] == 'F').Select(t => long.Parse(t.AsSpan(1), CultureInfo.InvariantCulture));
        return new(Open(next, current.Trips + 1, why, now), Tripped: true, Refund: true) { RefundEarlier = [.. earlier] };
    }

    /// <summary>A probe that ended without a verdict (lost, released, cancelled): the next claim may probe again.</summary>
    public static EngineBreakerRecord ProbeAbandoned(EngineBreakerRecord current, long jobId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(current);
        return current.State == EngineBreakerState.Probing && current.ProbeJob == jobId
            ? current with { State = EngineBreakerState.Open, Until = now, ProbeJob = null }
            : current;
    }

    private static EngineBreakerRecord Open(EngineBreakerRecord current, int trips, string? reason, DateTimeOffset now) =>
        current with { State = EngineBreakerState.Open, Trips = trips, Until = now + Cooldown(trips), Reason = reason, ProbeJob = null, Recent = "" };

    public static string ToWire(this EngineBreakerState state) => state switch
    {
        EngineBreakerState.Open => "open",
        EngineBreakerState.Probing => "probing",
        _ => "closed",
    };

    public static EngineBreakerState ParseState(string wire) => wire switch
    {
        "open" => EngineBreakerState.Open,
        "probing" => EngineBreakerState.Probing,
        _ => EngineBreakerState.Closed,
    };
}
