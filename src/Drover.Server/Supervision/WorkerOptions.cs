using Drover.Core.Configuration;
using Drover.Server.Hosting;

namespace Drover.Server.Supervision;

/// <summary>How a worker process runs (SPEC §6 defaults). Validated at start-up.</summary>
public sealed record WorkerOptions
{
    public required string Name { get; init; }
    public required DroverHome Home { get; init; }
    public int Slots { get; init; } = 2;
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan KillGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>On SIGTERM/Ctrl-C: how long running attempts may go on before they are stopped and released.</summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(10);

    public IReadOnlyList<string> Capabilities { get; init; } = [];

    /// <summary>At most this many attempts of an engine at once on this host (<c>[engines.NAME] max_concurrency</c>).</summary>
    public IReadOnlyDictionary<string, int> EngineLimits { get; init; } = new Dictionary<string, int>();

    /// <summary>A queued job whose engine no live worker offers fails no_engine after this long; zero = never.</summary>
    public TimeSpan NoEngineAfter { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Copy each attempt's log into the store as it grows (a shared PostgreSQL store: another host's API can then
    /// serve it), up to <see cref="ShippedLogBytes"/> per attempt.
    /// </summary>
    public bool ShipLogs { get; init; }

    public long ShippedLogBytes { get; init; } = 1 << 20;

    /// <summary>No new claims while less memory than this is available (<c>[fleet] min_free_memory</c>); 0 = no gate.</summary>
    public long MinFreeMemoryBytes { get; init; }

    /// <summary>No new claims while the home's filesystem has less free space than this (<c>[fleet] min_free_disk</c>); 0 = no gate.</summary>
    public long MinFreeDiskBytes { get; init; }

    /// <summary>Why this worker claims nothing at all: <c>[sandbox] mode = "required"</c> on a host that cannot confine.</summary>
    public string? SandboxGate { get; init; }

    /// <summary>Where the memory and disk readings come from.</summary>
    public HostResources Resources { get; init; } = HostResources.System;

    /// <summary>Which worktrees of ended jobs stay (<c>[workspaces] keep</c>).</summary>
    public WorkspaceKeep KeepWorkspaces { get; init; } = WorkspaceKeep.Failed;

    /// <summary><c>[budgets]</c>: the daily limits an engine's own reported usage counts toward (a job's budget is in its spec).</summary>
    public Core.Configuration.BudgetsConfig Budgets { get; init; } = new();

    /// <summary>Pushes and pull requests of the jobs this worker ran (SPEC §12); null: deliveries of this host wait.</summary>
    public Delivery.Deliverer? Deliverer { get; init; }

    /// <summary>How long a claimed delivery is this worker's before another claim may take it over.</summary>
    public TimeSpan DeliveryLease { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Reads what a succeeded attempt proposes (DROVER_PROPOSE); null: proposals are dropped with a log line.</summary>
    public Proposals.ProposalReader? Proposals { get; init; }

    /// <summary>A worker silent for 3 heartbeats is lost (SPEC §6).</summary>
    public TimeSpan HeartbeatTimeout => Heartbeat * 3;

    /// <summary>Reaper period: min(5s, lease_ttl/4).</summary>
    public TimeSpan ReaperInterval => TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, LeaseTtl.Ticks / 4));

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name) || Name.Length > 100)
            throw new ArgumentException("worker name must be 1..100 characters");
        if (Slots is < 0 or > 1024)
            throw new ArgumentException("--slots must be between 0 and 1024");
        if (LeaseTtl < TimeSpan.FromSeconds(1) || LeaseTtl > TimeSpan.FromDays(1))
            throw new ArgumentException("--lease-ttl must be between 1s and 1d");
        if (Heartbeat < TimeSpan.FromSeconds(1) || Heartbeat > TimeSpan.FromHours(1))
            throw new ArgumentException("--heartbeat must be between 1s and 1h");
        if (KillGrace < TimeSpan.Zero || ShutdownGrace < TimeSpan.Zero)
            throw new ArgumentException("grace periods must not be negative");
    }

    /// <summary>What every worker offers besides configured capabilities.</summary>
    public static IReadOnlyList<string> BuiltInCapabilities() =>
        [OperatingSystem.IsLinux() ? "os:linux" : OperatingSystem.IsMacOS() ? "os:macos" : "os:other", "engine:shell"];
}
