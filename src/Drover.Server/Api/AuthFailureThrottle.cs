using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Drover.Server.Api;

/// <summary>
/// Requests that fail bearer authentication, per remote address (an IPv6 address by its /64): after
/// <see cref="Limit"/> failures within <see cref="Window"/> the address's failing requests get 429 with Retry-After
/// until the window passes, and each address's failures are logged at most once per window, with a count.
/// Only failures count and only failures are refused: a client on the same address with the right token is never
/// held back (on loopback an attacker and every legitimate client share one address).
/// Hand-written rather than <c>System.Threading.RateLimiting</c>: that limiter counts before the outcome is known,
/// runs its own timers per process and ignores <see cref="TimeProvider"/>.
/// </summary>
public sealed class AuthFailureThrottle(TimeProvider time)
{
    public const int Limit = 30;

    /// <summary>Addresses remembered at once; past it, those whose window has passed are forgotten, then all.</summary>
    public const int MaxAddresses = 10_000;

    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <param name="RetryAfter">Set when the request is to be refused with 429.</param>
    /// <param name="Report">Failures to log now (0: stay quiet, one line per address per window).</param>
    /// <param name="ThrottleStarted">The first refusal of this window: say so in the log once.</param>
    public readonly record struct Verdict(string Remote, TimeSpan? RetryAfter, int Report, bool ThrottleStarted);

    /// <summary>Counts one failed authentication from <paramref name="remote"/>.</summary>
    public Verdict Fail(IPAddress? remote)
    {
        var key = Key(remote);
        var now = time.GetUtcNow();
        if (_entries.Count >= MaxAddresses)
            Prune(now);
        var e = _entries.GetOrAdd(key, _ => new Entry { Start = now, ReportedAt = DateTimeOffset.MinValue });
        lock (e)
        {
            if (now - e.Start >= Window)
                (e.Start, e.Failures, e.ThrottleReported) = (now, 0, false);
            e.Failures++;
            e.Unreported++;
            var report = 0;
            if (now - e.ReportedAt >= Window)
                (report, e.Unreported, e.ReportedAt) = (e.Unreported, 0, now);
            if (e.Failures <= Limit)
                return new Verdict(key, null, report, false);
            var started = !e.ThrottleReported;
            e.ThrottleReported = true;
            return new Verdict(key, e.Start + Window - now, report, started);
        }
    }

    private static string Key(IPAddress? remote)
    {
        if (remote is null)
            return "unknown";
        if (remote.IsIPv4MappedToIPv6)
            remote = remote.MapToIPv4();
        if (remote.AddressFamily != AddressFamily.InterNetworkV6 || IPAddress.IsLoopback(remote))
            return remote.ToString();
        // One host usually holds a whole /64: counting addresses inside it one by one would let it rotate past the limit.
        var bytes = remote.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, e) in _entries)
        {
            if (now - e.Start >= Window && now - e.ReportedAt >= Window)
                _entries.TryRemove(key, out _);
        }

        if (_entries.Count >= MaxAddresses)
            _entries.Clear();
    }

    private sealed class Entry
    {
        public DateTimeOffset Start;
        public DateTimeOffset ReportedAt;
        public int Failures;
        public int Unreported;
        public bool ThrottleReported;
    }
}
