namespace Drover.Engines.Attempts;

/// <summary>What a driver gets to build its invocation.</summary>
/// <param name="Workspace">The engine's working directory.</param>
/// <param name="PromptFile">prompt.md of this attempt (also in $DROVER_PROMPT_FILE).</param>
public sealed record EngineRequest(AttemptContext Context, string Workspace, string PromptFile)
{
    /// <summary>The previous attempt's agent session on this host, when this attempt should continue it.</summary>
    public ResumeFrom? Resume { get; init; }

    /// <summary>Drover's gateway for this attempt, when it is on and a server is up.</summary>
    public GatewayEndpoint? Gateway { get; init; }
}

/// <summary>An agent session to continue: its id, the config home that holds it, and why the last attempt ended.</summary>
public sealed record ResumeFrom(string Engine, string SessionId, string Home, string Why);

/// <summary>A driver's answer: the argv to run, or why this job cannot run on this engine.</summary>
public sealed record EngineLaunch(IReadOnlyList<string>? Argv, string? Error)
{
    /// <summary>Environment for the engine on top of the worker's (a null value removes a variable).</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>
    /// The reader of the engine's machine output, for agent CLIs; null for engines that speak the generic
    /// DROVER_* protocol. With a reader, raw stdout goes to <c>stream.jsonl</c> and the log gets readable lines.
    /// </summary>
    public Agents.AgentStream? Stream { get; init; }

    /// <summary>The model the engine was told to use (job's, else the engine's configured one); null = the CLI's default.</summary>
    public string? Model { get; init; }

    /// <summary>
    /// The engine reaches its model provider with its own login, not through the gateway (an agent CLI whose protocol
    /// the gateway cannot serve, or <c>gateway = false</c>): the runner leaves OPENAI_*/ANTHROPIC_* to it.
    /// </summary>
    public bool DirectToProvider { get; init; }

    public static EngineLaunch Run(IReadOnlyList<string> argv) => new(argv, null);

    public static EngineLaunch Refuse(string error) => new(null, error);
}

/// <summary>
/// The seam for engines (SPEC §8): a driver turns a job into a headless invocation. The runner owns
/// everything else (workspace, process group, generic stdout protocol, checkpoint, verify, classification).
/// Agent CLIs with their own output formats extend this in a later change.
/// </summary>
public interface IEngineDriver
{
    /// <summary>The engine name jobs use (<c>shell</c>, <c>claude</c>, …).</summary>
    string Name { get; }

    /// <summary>Builds the argv. Prompt text must never be interpolated into a shell string: engines read $DROVER_PROMPT_FILE.</summary>
    EngineLaunch Launch(EngineRequest request);
}

/// <summary>The <c>shell</c> engine: <c>command</c> as a string runs via <c>/bin/sh -c</c>; as a list it runs directly.</summary>
public sealed class ShellEngineDriver : IEngineDriver
{
    public const string EngineName = "shell";

    public string Name => EngineName;

    public EngineLaunch Launch(EngineRequest request)
    {
        var spec = request.Context.Spec;
        if (spec.CommandArgv is { Count: > 0 } argv)
        {
            return EngineLaunch.Run(argv);
        }

        return string.IsNullOrWhiteSpace(spec.CommandLine)
            ? EngineLaunch.Refuse("the shell engine needs a command")
            : EngineLaunch.Run(["/bin/sh", "-c", spec.CommandLine]);
    }
}

/// <summary>
/// How attempts reach Drover's gateway: its base URL when a server is up (null otherwise), the secret keys are minted
/// with, and the provider kinds (openai, anthropic) it has, so drivers point only CLIs it can serve at it.
/// </summary>
public sealed record GatewayAccess(Func<string?> Url, string Secret, IReadOnlySet<string> Kinds);

/// <summary>The gateway for one attempt: its <c>/v1</c> URL and the attempt's own key.</summary>
public sealed record GatewayEndpoint(string Url, string Key, IReadOnlySet<string> Kinds)
{
    /// <summary>The server's root (Anthropic clients add <c>/v1</c> themselves).</summary>
    public string Root => Url.EndsWith("/v1", StringComparison.Ordinal) ? Url[..^3] : Url;
}
