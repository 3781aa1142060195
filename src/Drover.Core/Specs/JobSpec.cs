namespace Drover.Core.Specs;

/// <summary>
/// A validated, normalised job spec (SPEC §3): every default applied, paths absolute,
/// durations parsed. Built only by <see cref="JobSpecParser"/>; stored as canonical JSON
/// (<see cref="JobSpecJson"/>), whose hash is the idempotency comparison.
/// </summary>
public sealed record JobSpec
{
    public required string Title { get; init; }
    public string Prompt { get; init; } = "";
    /// <summary>
    /// The engine to run; "" when only <see cref="EngineClass"/> is set: the claiming worker picks the
    /// first engine of the class (<see cref="Prefers"/> order) it has available.
    /// </summary>
    public required string Engine { get; init; }
    public string? EngineClass { get; init; }
    public IReadOnlyList<string> Prefers { get; init; } = [];

    /// <summary>For the shell engine: a command line run by /bin/sh -c.</summary>
    public string? CommandLine { get; init; }

    /// <summary>For the shell engine: an argv run directly (no shell).</summary>
    public IReadOnlyList<string>? CommandArgv { get; init; }

    public string? Model { get; init; }

    /// <summary>Absolute path of the workspace source.</summary>
    public required string Repo { get; init; }

    /// <summary>Git ref or sha to branch from; the service records the resolved sha at submit.</summary>
    public string? Base { get; init; }

    /// <summary>0..100, higher runs first.</summary>
    public int Priority { get; init; } = 50;

    public IReadOnlyList<string> Capabilities { get; init; } = [];
    public string? Key { get; init; }

    /// <summary>Dependencies as given: job ids (digits) or idempotency keys.</summary>
    public IReadOnlyList<string> After { get; init; } = [];

    public DepsMode DepsMode { get; init; } = DepsMode.Hard;

    /// <summary>Lock key; null means no lock. The parser applies the SPEC default.</summary>
    public string? Lock { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(60);
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromMinutes(15);
    public RetryPolicy Retry { get; init; } = RetryPolicy.Default;
    public Budget? Budget { get; init; }
    public string? Verify { get; init; }

    /// <summary>Standing instructions put before the prompt (usually from a profile: "You are a careful reviewer…").</summary>
    public string? Persona { get; init; }

    /// <summary>The job is meant to change the repo: an attempt that ends with no diff from the base fails.</summary>
    public bool ExpectChanges { get; init; }
    public IReadOnlyList<string> AllowedPaths { get; init; } = [];
    public ScopePolicy ScopePolicy { get; init; } = ScopePolicy.Warn;

    /// <summary>The sandbox's network for this job (SPEC §13); it can only narrow what <c>[sandbox] network</c> allows. Null = config's.</summary>
    public Configuration.SandboxNetwork? Network { get; init; }
    /// <summary>What becomes of the branch when the job succeeds (SPEC §12).</summary>
    public DeliverMode Deliver { get; init; } = DeliverMode.None;

    /// <summary>A job that finally fails <c>verify</c> still opens a draft pull request.</summary>
    public bool DeliverDraftOnFailure { get; init; }

    /// <summary>
    /// The remote branch delivery pushes to and whose pull request it continues (a follow-up's: the pull request it
    /// fixes); null: the job's own <c>drover/&lt;id&gt;</c>.
    /// </summary>
    public string? DeliverBranch { get; init; }

    /// <summary>Ask the forge to merge the pull request once its checks pass.</summary>
    public bool Automerge { get; init; }

    public ReviewMode Review { get; init; } = ReviewMode.Auto;
    public string Profile { get; init; } = "default";
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);
    public string? Tracker { get; init; }
    public IReadOnlyDictionary<string, string> Env { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);
    public IReadOnlyList<string> Secrets { get; init; } = [];

    /// <summary>Tool-approval rules in compact form (<c>"ask Bash(git push*)"</c>): the profile's, then the job's (SPEC §13).</summary>
    public IReadOnlyList<string> Approvals { get; init; } = [];

    /// <summary>
    /// Specs are equal when their canonical JSON is equal: the same rule idempotency uses
    /// (<see cref="JobSpecJson.Hash(JobSpec)"/>), and value equality for the lists and maps inside.
    /// </summary>
    public bool Equals(JobSpec? other) =>
        other is not null && (ReferenceEquals(this, other) ||
            string.Equals(JobSpecJson.Serialize(this), JobSpecJson.Serialize(other), StringComparison.Ordinal));

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(JobSpecJson.Serialize(this));
}

public enum DepsMode { Hard, Soft }

public enum ScopePolicy { Warn, Enforce }

public enum ReviewMode { Auto, Human }

/// <summary><c>none</c>: the branch stays where it ran; <c>push</c>: pushed; <c>pr</c>/<c>pr_draft</c>: pushed and a pull request opened.</summary>
public enum DeliverMode { None, Push, Pr, PrDraft }

public sealed record Budget(decimal? Usd, long? Tokens);

/// <summary>Retry policy of SPEC §3: exponential backoff with ±20% jitter, by failure class.</summary>
public sealed record RetryPolicy(int MaxAttempts, TimeSpan Backoff, TimeSpan MaxBackoff, IReadOnlyList<string> On)
{
    public static readonly RetryPolicy Default = new(
        3,
        TimeSpan.FromSeconds(30),
        TimeSpan.FromMinutes(10),
        ["crash", "lost", "timeout", "stalled", "rate_limited", "model_error"]);

    public bool Retries(string failureClass) => On.Contains(failureClass, StringComparer.Ordinal);

    /// <summary>
    /// Delay before the next attempt after <paramref name="failures"/> failed attempts (1-based):
    /// backoff × 2^(failures-1), capped at max_backoff, then ±20% jitter from <paramref name="unitRandom"/> in [0,1).
    /// </summary>
    public TimeSpan DelayAfter(int failures, double unitRandom)
    {
        var exp = Math.Min(Math.Max(failures - 1, 0), 30);
        var raw = Backoff.TotalMilliseconds * Math.Pow(2, exp);
        var capped = Math.Min(raw, MaxBackoff.TotalMilliseconds);
        var jitter = 0.8 + (0.4 * unitRandom);
        return TimeSpan.FromMilliseconds(Math.Max(0, capped * jitter));
    }
}
