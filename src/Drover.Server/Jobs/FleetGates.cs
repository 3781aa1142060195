using System.Globalization;
using Drover.Core.Scheduling;
using Drover.Core.Storage;

namespace Drover.Server.Jobs;

/// <summary>The words `why` and `status` use for the fleet cap and the failure-rate breakers (one phrasing for both).</summary>
internal static class FleetGates
{
    /// <summary>"fleet at max_running (N)" while the cap holds every new claim back; null otherwise.</summary>
    public static string? MaxRunning(FleetState fleet) =>
        fleet.MaxRunning > 0 && fleet.Running >= fleet.MaxRunning
            ? $"fleet at max_running ({fleet.MaxRunning.ToString(CultureInfo.InvariantCulture)})"
            : null;

    /// <summary>Why the breaker holds <paramref name="b"/>'s engine, with how to clear it.</summary>
    public static string Breaker(EngineBreakerRecord b, DateTimeOffset now)
    {
        var last = b.Reason is { } r ? $"; last failure {FirstLine(r)}" : "";
        var held = b.State switch
        {
            EngineBreakerState.Probing => $"engine {b.Engine} stopped by the failure-rate breaker: probe job {b.ProbeJob} is running{last}",
            _ when b.Until > now => $"engine {b.Engine} stopped by the failure-rate breaker until {b.Until:yyyy-MM-dd'T'HH:mm:ss'Z'}{last}",
            _ => $"engine {b.Engine} stopped by the failure-rate breaker: cool-down over, the next claim runs one probe{last}",
        };
        return held + $" (drover resume --engine {b.Engine})";
    }

    /// <summary>A breaker as a gate of the status view: held until its cool-down ends (or now, while it probes).</summary>
    public static EngineGateView BreakerGate(EngineBreakerRecord b, DateTimeOffset now) =>
        new(b.Engine, b.Until is { } u && u > now ? u : now, Breaker(b, now));

    private static string FirstLine(string text)
    {
        var line = text.AsSpan().Trim();
        var nl = line.IndexOfAny('\r', '\n');
        return (nl < 0 ? line : line[..nl]).ToString();
    }
}
