using Drover.Core.Specs;
using Tomlyn.Model;

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

    /// <summary><c>[[alerts.sinks]]</c> in file order.</summary>
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

    /// <summary>A secret named in config must be a name the secret store accepts, or no `drover secret set` could satisfy it.</summary>
    private static void SecretName(TomlSection k, string key, string? name)
    {
        if (name is not null && Secrets.SecretStore.NameProblem(name) is { } problem)
            throw k.Error(key, problem);
    }

    private static AlertSinkConfig Sink(TomlSection k)
    {
        k.AllowOnly("kind", "url", "url_env", "url_secret", "token_env", "token_secret", "timeout");
        var kind = k.String("kind") ?? throw k.Error("kind", "is required (webhook, ntfy, slack or discord)");
        if (!SinkKinds.Contains(kind, StringComparer.Ordinal))
            throw k.Error("kind", $"{SpecGrammar.Quote(kind)} is not one of {string.Join(", ", SinkKinds)}");
        var url = k.String("url");
        var env = k.String("url_env");
        var secret = k.String("url_secret");
        if ((url is null ? 0 : 1) + (env is null ? 0 : 1) + (secret is null ? 0 : 1) != 1)
            throw k.Error("url", "give exactly one of url, url_env, url_secret");
        SecretName(k, "url_secret", secret);
        if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https")))
            throw k.Error("url", "is not an http(s) URL");
        var tokenEnv = k.String("token_env");
        var tokenSecret = k.String("token_secret");
        SecretName(k, "token_secret", tokenSecret);
        if (kind != "ntfy" && (tokenEnv is not null || tokenSecret is not null))
            throw k.Error(tokenEnv is not null ? "token_env" : "token_secret", "only an ntfy sink takes a token");
        return new AlertSinkConfig
        {
            Kind = kind,
            Url = url,
            UrlEnv = env,
            UrlSecret = secret,
            TokenEnv = tokenEnv,
            TokenSecret = tokenSecret,
            Timeout = k.Duration("timeout", TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(2)) ?? TimeSpan.FromSeconds(10),
        };
    }

    private static AlertsConfig Alerts(TomlSection? s)
    {
        var d = new AlertsConfig();
        if (s is null)
            return d;
        s.AllowOnly("cooldown", "stall_after", "crash_loop_restarts", "crash_loop_window", "retries", "sinks");
        var sinks = new List<AlertSinkConfig>();
        if (s.Table.TryGetValue("sinks", out var value))
        {
            if (value is not TomlTableArray array)
                throw s.Error("sinks", "expected [[alerts.sinks]] tables");
            var index = 0;
            foreach (var table in array)
                sinks.Add(Sink(s.Child(table, $"sinks[{index++}]")));
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
