using System.Globalization;

namespace Drover.Server.Jobs;

/// <summary>Whether the fleet needs someone: <c>ok</c>, or <c>degraded</c> with a line per reason naming the worker.</summary>
public sealed record HealthView(string Status, IReadOnlyList<string> Reasons)
{
    public bool Ok => Reasons.Count == 0;
}

/// <summary>
/// The rules of <c>drover status --check</c> and <c>GET /healthz</c>, over what <c>status</c> shows: a worker lost in the
/// last day (it died without stopping; it clears when a worker of that name registers again), a live worker whose
/// heartbeat is older than <c>staleAfter</c> (not even the reaper has noticed yet, or nothing is reaping), queued
/// jobs with no live worker to take them, queued jobs in a paused fleet (nothing starts them until `resume`), and a
/// live worker that claims nothing (its gate: low memory or disk, run files not writable).
/// </summary>
public static class FleetHealth
{
    /// <summary>Default staleness: six default heartbeats, twice the time after which the reaper marks a worker lost.</summary>
    public static readonly TimeSpan DefaultStaleAfter = TimeSpan.FromSeconds(60);

    /// <summary>How long a lost worker keeps the fleet degraded (a host taken away for good stops counting after this).</summary>
    public static readonly TimeSpan LostWindow = TimeSpan.FromDays(1);

    public static HealthView Evaluate(StatusView status, TimeSpan staleAfter)
    {
        ArgumentNullException.ThrowIfNull(status);
        var reasons = new List<string>();
        var live = 0;
        foreach (var w in status.Workers.OrderBy(w => w.Name, StringComparer.Ordinal))
        {
            var age = TimeSpan.FromSeconds(w.HeartbeatAgeS);
            if (w.State == "lost")
            {
                if (age <= LostWindow)
                    reasons.Add($"worker {w.Name} on {w.Host} lost: no heartbeat for {Seconds(age)}");
            }
            else if (w.State != "stopped")
            {
                if (age > staleAfter)
                    reasons.Add($"worker {w.Name} on {w.Host} stale: last heartbeat {Seconds(age)} ago");
                else
                    live++;
                if (w.Gate is { } gate && age <= staleAfter)
                    reasons.Add($"worker {w.Name} on {w.Host} claims nothing: {gate}");
            }
        }

        var queued = status.Counts.TryGetValue("queued", out var q) ? q : 0;
        if (queued > 0 && live == 0)
            reasons.Add($"{queued} job{(queued == 1 ? "" : "s")} queued and no live worker to run them");
        if (queued > 0 && status.Paused)
            reasons.Add($"fleet paused with {queued} queued job{(queued == 1 ? "" : "s")}");
        return new HealthView(reasons.Count == 0 ? "ok" : "degraded", reasons);
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0", CultureInfo.InvariantCulture) + " s";
}
