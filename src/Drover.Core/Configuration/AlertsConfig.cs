namespace Drover.Core.Configuration;

/// <summary>
/// <c>[alerts]</c>: when the fleet needs a person. Each alert kind has a key (<c>worker_lost:w1</c>); an alert with the
/// same key within <see cref="Cooldown"/> only bumps the count of the first one and is not delivered again.
/// </summary>
public sealed record AlertsConfig
{
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Queue stalled: eligible jobs queued, none started for this long, while a live worker has a free slot.</summary>
    public TimeSpan StallAfter { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Crash loop: at least this many restarts of one worker within <see cref="CrashLoopWindow"/>.</summary>
    public int CrashLoopRestarts { get; init; } = 5;

    public TimeSpan CrashLoopWindow { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Delivery tries per sink before giving up (exponential backoff from 1 s, capped at 60 s).</summary>
    public int Retries { get; init; } = 5;

    /// <summary><c>[alerts.webhook]</c>, <c>[alerts.ntfy]</c>, <c>[alerts.slack]</c>, <c>[alerts.discord]</c>, in that order.</summary>
    public IReadOnlyList<AlertSinkConfig> Sinks { get; init; } = [];
}

/// <summary>
/// One destination. The URL is given literally, by environment variable, or by secret name (<c>drover secret set</c>):
/// Slack and Discord webhook URLs are credentials and are never logged.
/// </summary>
public sealed record AlertSinkConfig
{
    /// <summary>webhook | ntfy | slack | discord.</summary>
    public required string Kind { get; init; }

    public string? Url { get; init; }
    public string? UrlEnv { get; init; }
    public string? UrlSecret { get; init; }

    /// <summary>ntfy only: an access token sent as a bearer header (by environment variable or secret name).</summary>
    public string? TokenEnv { get; init; }
    public string? TokenSecret { get; init; }

    /// <summary>Per delivery attempt.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
}

public static partial class DroverConfigLoader
{
    private static readonly string[] SinkKinds = ["webhook", "ntfy", "slack", "discord"];

    private static AlertsConfig Alerts(TomlSection? s)
    {
        var d = new AlertsConfig();
        if (s is null)
            return d;
        s.AllowOnly(["cooldown", "stall_after", "crash_loop_restarts", "crash_loop_window", "retries", .. SinkKinds]);
        var sinks = new List<AlertSinkConfig>();
        foreach (var kind in SinkKinds)
        {
            if (s.Section(kind) is not { } k)
                continue;
            k.AllowOnly("url", "url_env", "url_secret", "token_env", "token_secret", "timeout");
            var url = k.String("url");
            var env = k.String("url_env");
            var secret = k.String("url_secret");
            if ((url is null ? 0 : 1) + (env is null ? 0 : 1) + (secret is null ? 0 : 1) != 1)
                throw k.Error("url", "give exactly one of url, url_env, url_secret");
            if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https")))
                throw k.Error("url", "is not an http(s) URL");
            if (kind != "ntfy" && (k.String("token_env") is not null || k.String("token_secret") is not null))
                throw k.Error("token_env", "only [alerts.ntfy] takes a token");
            sinks.Add(new AlertSinkConfig
            {
                Kind = kind,
                Url = url,
                UrlEnv = env,
                UrlSecret = secret,
                TokenEnv = k.String("token_env"),
                TokenSecret = k.String("token_secret"),
                Timeout = k.Duration("timeout", TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(2)) ?? new AlertSinkConfig { Kind = kind }.Timeout,
            });
        }

        return new AlertsConfig
        {
            Cooldown = s.Duration("cooldown", TimeSpan.Zero, TimeSpan.FromDays(7)) ?? d.Cooldown,
            StallAfter = s.Duration("stall_after", TimeSpan.FromSeconds(10), TimeSpan.FromDays(1)) ?? d.StallAfter,
            CrashLoopRestarts = (int)(s.Integer("crash_loop_restarts", 1, 1000) ?? d.CrashLoopRestarts),
            CrashLoopWindow = s.Duration("crash_loop_window", TimeSpan.FromSeconds(10), TimeSpan.FromDays(1)) ?? d.CrashLoopWindow,
            Retries = (int)(s.Integer("retries", 1, 20) ?? d.Retries),
            Sinks = sinks,
        };
    }
}
