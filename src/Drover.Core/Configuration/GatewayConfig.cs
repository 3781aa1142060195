namespace Drover.Core.Configuration;

/// <summary><c>[gateway]</c> (SPEC §9): the OpenAI-compatible endpoint agents are pointed at.</summary>
public sealed record GatewayConfig
{
    public bool Enabled { get; init; }

    /// <summary>An upstream that sends no response headers within this long is skipped for the next provider.</summary>
    public TimeSpan FirstByteTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A stream that goes silent this long is cut (and, before any output reached the client, failed over).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Longest Retry-After the gateway honours before trying the next provider instead.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often providers with <c>health_check</c> (local ones by default) are probed with GET /models.</summary>
    public TimeSpan HealthInterval { get; init; } = TimeSpan.FromSeconds(15);
}

/// <summary>One <c>[[providers]]</c> entry: an upstream model endpoint with its limits and prices.</summary>
public sealed record ProviderConfig
{
    public required string Name { get; init; }

    /// <summary>openai (chat completions, responses) or anthropic (messages).</summary>
    public required string Kind { get; init; }

    public required Uri BaseUrl { get; init; }

    /// <summary>Upstream model names this provider serves; the first is used when a route names the provider.</summary>
    public IReadOnlyList<string> Models { get; init; } = [];

    public string? ApiKeyEnv { get; init; }

    public string? ApiKeySecret { get; init; }

    public int Rpm { get; init; }

    public int Rpd { get; init; }

    public long Tpm { get; init; }

    public int MaxConcurrent { get; init; }

    /// <summary>Output tokens a call is assumed to produce when it does not say (max_tokens), for its worst-case budget hold.</summary>
    public long MaxOutputTokens { get; init; } = 8192;

    /// <summary>Probe GET /models every 15 s: on by default for providers on a loopback address, never a generating call.</summary>
    public bool HealthCheck { get; init; }

    /// <summary>USD per million tokens; null = unpriced (its spend is flagged, never counted as $0).</summary>
    public ModelPrice? Price { get; init; }
}

/// <summary><c>[routes.ALIAS]</c>: a model alias a client may ask for, tried along the cascade in order.</summary>
public sealed record RouteConfig(IReadOnlyList<string> Cascade);

/// <summary><c>[budgets]</c>: fleet-wide limits per UTC day, in USD and tokens, overall and per label (<c>"team=core" = 5.0</c>).</summary>
public sealed record BudgetsConfig
{
    public decimal? DailyUsd { get; init; }

    public long? DailyTokens { get; init; }

    /// <summary>"key=value" → USD per day for jobs carrying that label.</summary>
    public IReadOnlyDictionary<string, decimal> Labels { get; init; } = new SortedDictionary<string, decimal>(StringComparer.Ordinal);
}
