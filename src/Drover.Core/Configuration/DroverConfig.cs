using System.Text.Json.Nodes;
using Drover.Core.Specs;
using Tomlyn.Model;

namespace Drover.Core.Configuration;

/// <summary>
/// <c>&lt;home&gt;/drover.toml</c> (SPEC §8–§10), typed. Built by <see cref="DroverConfigLoader"/>;
/// a missing file gives these defaults.
/// </summary>
public sealed partial record DroverConfig
{
    public static readonly DroverConfig Default = new();

    public ServerConfig Server { get; init; } = new();
    public WorkerConfig Worker { get; init; } = new();
    public FleetConfig Fleet { get; init; } = new();
    public GcConfig Gc { get; init; } = new();
    public WorkspacesConfig Workspaces { get; init; } = new();
    public SandboxConfig Sandbox { get; init; } = new();
    public AlertsConfig Alerts { get; init; } = new();
    public IReadOnlyDictionary<string, EngineConfig> Engines { get; init; } = new SortedDictionary<string, EngineConfig>(StringComparer.Ordinal);

    public GatewayConfig Gateway { get; init; } = new();

    /// <summary><c>[[providers]]</c> in file order.</summary>
    public IReadOnlyList<ProviderConfig> Providers { get; init; } = [];

    public IReadOnlyDictionary<string, RouteConfig> Routes { get; init; } = new SortedDictionary<string, RouteConfig>(StringComparer.Ordinal);

    public BudgetsConfig Budgets { get; init; } = new();

    /// <summary><c>[report]</c>: targets of <c>drover report</c>.</summary>
    public ReportConfig Report { get; init; } = new();

    /// <summary><c>[approvals]</c>: tool-approval rules and the ask timeout (SPEC §13).</summary>
    public ApprovalsConfig Approvals { get; init; } = new();

    /// <summary><c>[[schedules]]</c>: cron schedules synced into the store at <c>serve</c> start (SPEC §12).</summary>
    public IReadOnlyList<Schedules.ScheduleDefinition> Schedules { get; init; } = [];

    /// <summary><c>[[forges]]</c> in file order: git hosts and their token secrets (SPEC §12).</summary>
    public IReadOnlyList<ForgeConfig> Forges { get; init; } = [];

    /// <summary><c>[webhooks]</c>: secrets of the forge webhook endpoints (SPEC §12).</summary>
    public WebhooksConfig Webhooks { get; init; } = new();

    /// <summary><c>[delivery]</c>: pushes and pull requests of succeeded jobs (SPEC §12).</summary>
    public DeliveryConfig Delivery { get; init; } = new();

    /// <summary><c>[[trackers]]</c> in file order: forge repositories whose labelled issues become jobs.</summary>
    public IReadOnlyList<TrackerConfig> Trackers { get; init; } = [];

    /// <summary><c>[proposals]</c>: how DROVER_PROPOSE lines become jobs waiting for a person (SPEC §12).</summary>
    public ProposalsConfig Proposals { get; init; } = new();

    /// <summary><c>[prices."MODEL"]</c>: USD per million tokens, to price usage an engine reports without a cost.</summary>
    public IReadOnlyDictionary<string, ModelPrice> Prices { get; init; } = new SortedDictionary<string, ModelPrice>(StringComparer.Ordinal);

    /// <summary><c>[profiles.NAME]</c>: spec keys (snake_case) used as job defaults.</summary>
    public IReadOnlyDictionary<string, JsonObject> Profiles { get; init; } = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);

    /// <summary>
    /// Sections SPEC §9 documents whose typed form arrives with their features (<c>alerts</c>), kept as parsed.
    /// </summary>
    public TomlTable Reserved { get; init; } = [];

    /// <summary>The file this was read from; null for built-in defaults.</summary>
    public string? Source { get; init; }

    /// <summary>The context job specs are parsed with under this config.</summary>
    public SpecParseContext SpecContext(string workingDirectory) => new(workingDirectory, Profiles)
    {
        Engines = new HashSet<string>(EngineNames.BuiltIn.Concat(Engines.Where(e => e.Value.Command is { Count: > 0 }).Select(e => e.Key)), StringComparer.Ordinal),
        ForgeHosts = Forges.Select(f => f.Host).ToHashSet(StringComparer.OrdinalIgnoreCase),
    };
}

/// <summary><c>[server]</c>: where the API listens. Loopback by default (SPEC §1.5).</summary>
public sealed record ServerConfig
{
    public string Bind { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 8731;

    /// <summary>Open event and log streams served at once; one more is refused with 503 and Retry-After.</summary>
    public int MaxStreams { get; init; } = 200;

    /// <summary>PEM certificate and key (paths, relative to the home) that make the API serve HTTPS; both or neither.
    /// A bind outside loopback needs them (or <c>serve --insecure-bind</c>).</summary>
    public string? TlsCert { get; init; }

    public string? TlsKey { get; init; }
}

/// <summary><c>[worker]</c>: this host's worker slots and lease timing (SPEC §6).</summary>
public sealed record WorkerConfig
{
    /// <summary>Worker name; null means the host name.</summary>
    public string? Name { get; init; }

    public int Slots { get; init; } = 2;
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan KillGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Advertised capabilities (<c>os:linux</c>, <c>node=20.11.1</c>) on top of detected ones.</summary>
    public IReadOnlyList<string> Capabilities { get; init; } = [];
}

/// <summary><c>[gc]</c>: what <c>drover gc</c> removes.</summary>
public sealed record GcConfig
{
    /// <summary>Terminal jobs (succeeded, failed, cancelled) unchanged for longer than this are deleted.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Jobs per transaction: short transactions keep the queue moving while gc runs.</summary>
    public int Batch { get; init; } = 500;
}

/// <summary><c>[fleet]</c>: fleet-wide gates (SPEC §5).</summary>
public sealed record FleetConfig
{
    /// <summary>At most this many running jobs across the fleet; 0 = unlimited.</summary>
    public int MaxRunning { get; init; }

    /// <summary>No new claims while less memory than this is available; 0 = no gate.</summary>
    public long MinFreeMemoryBytes { get; init; }

    /// <summary>No new claims while the filesystem of the home has less free space than this; 0 = no gate.</summary>
    public long MinFreeDiskBytes { get; init; } = 2L << 30;

    /// <summary>A queued job whose engine no live worker offers fails <c>no_engine</c> after this long; zero = never.</summary>
    public TimeSpan NoEngineAfter { get; init; } = TimeSpan.FromHours(1);
}

/// <summary><c>[engines.NAME]</c> (SPEC §8): overrides for a built-in driver, or a custom engine when <see cref="Command"/> is set.</summary>
public sealed record EngineConfig
{
    public string? Path { get; init; }
    public IReadOnlyList<string> Args { get; init; } = [];
    public IReadOnlyDictionary<string, string> Env { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);
    public string? Model { get; init; }
    public int? MaxConcurrency { get; init; }

    /// <summary>
    /// Point this agent CLI at Drover's gateway with the attempt's own key: null = when the gateway is on and has a
    /// provider of the kind the CLI speaks (anthropic for claude, openai for the others); false = never.
    /// </summary>
    public bool? Gateway { get; init; }

    /// <summary>A custom engine's argv, with <c>{prompt_file}</c>, <c>{workspace}</c>, <c>{model}</c> placeholders.</summary>
    public IReadOnlyList<string>? Command { get; init; }

    /// <summary>Usage parser for a custom engine: drover | claude | codex | opencode | qwen | none.</summary>
    public string? Usage { get; init; }
}

/// <summary>A <c>drover.toml</c> that cannot be used; the message names <c>file:line</c> or the key path.</summary>
public sealed class DroverConfigException : DroverException
{
    public DroverConfigException(string message) : base(message) { }

    public DroverConfigException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>USD per million tokens of each kind (<c>[prices."MODEL"]</c>).</summary>
public sealed record ModelPrice(decimal Input, decimal CachedInput, decimal CacheWrite, decimal Output)
{
    private const decimal Million = 1_000_000m;

    /// <summary>The cost of these tokens: output includes reasoning, so reasoning is not priced twice.</summary>
    public decimal Cost(Jobs.UsageRecord usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        return ((usage.InputTokens * Input) + (usage.CachedInputTokens * CachedInput) + (usage.CacheWriteTokens * CacheWrite)
            + (usage.OutputTokens * Output)) / Million;
    }

    /// <summary>
    /// Prices a record that carries tokens but no reported cost; a record with a cost, without tokens, or of a model
    /// with no price stays as it is (cost_source says which).
    /// </summary>
    public static Jobs.UsageRecord Apply(Jobs.UsageRecord usage, IReadOnlyDictionary<string, ModelPrice> prices)
    {
        ArgumentNullException.ThrowIfNull(usage);
        ArgumentNullException.ThrowIfNull(prices);
        if (usage.CostSource != "unknown" || usage.IsEmpty || usage.Model is not { } model || !prices.TryGetValue(model, out var price))
            return usage;
        return usage with { CostUsd = price.Cost(usage), CostSource = "priced" };
    }
}
