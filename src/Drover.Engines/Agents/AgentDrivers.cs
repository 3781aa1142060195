using System.Text;
using Drover.Core.Configuration;
using Drover.Engines.Attempts;

namespace Drover.Engines.Agents;

/// <summary>
/// Shared parts of the agent CLI drivers (SPEC §8, RECIPES.md): find the binary, give every run its own config
/// home (so runs never share state), switch telemetry and update checks off, pass the prompt as one argv element
/// (never through a shell), and add the configured model, args and env.
/// </summary>
public abstract partial class AgentDriver : IEngineDriver
{
    /// <summary>Linux caps one argv string at 128 KiB; longer prompts are handed over as a file to read.</summary>
    internal const int MaxArgvPromptBytes = 96 * 1024;

    protected AgentDriver(EngineConfig? config) => Config = config ?? new EngineConfig();

    public abstract string Name { get; }

    protected EngineConfig Config { get; }

    /// <summary>The executable's name on PATH when no <c>path</c> is configured.</summary>
    protected virtual string Binary => Name;

    public EngineLaunch Launch(EngineRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var binary = Resolve();
        if (binary is null)
            return EngineLaunch.Refuse($"{Name}: {Config.Path ?? Binary} not found (install it or set [engines.{Name}] path)");

        // Tool approvals (SPEC §13): the config's rules and the job's; a CLI that cannot ask per call refuses rules that stop calls.
        var enforced = Core.Approvals.ApprovalRules.Enforced(
            Approvals.Rules.Concat(request.Context.Spec.Approvals.Select(Core.Approvals.ApprovalRule.Parse)));
        if (enforced && ApprovalsProblem(request) is { } problem)
            return EngineLaunch.Refuse(problem);

        var runDir = Path.GetDirectoryName(request.PromptFile)!;
        var home = Path.Combine(runDir, "agent-home");
        Directory.CreateDirectory(home);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        // Continue the last attempt's session: its config home (which holds the session) comes along.
        var resume = request.Resume is { } r && r.Engine == Name && SupportsResume && Directory.Exists(r.Home) ? r : null;
        if (resume is not null)
            CopyTree(resume.Home, home);

        var model = request.Context.Spec.Model ?? Config.Model;
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        var argv = new List<string> { binary };
        var run = new AgentInvocation(request, home, model, argv, env) { EnforceApprovals = enforced };
        Build(run);
        var promptFile = request.PromptFile;
        if (resume is not null)
        {
            AddResume(run, resume.SessionId);
            promptFile = Path.Combine(runDir, "resume-prompt.md");
            File.WriteAllText(promptFile,
                $"The previous attempt at this task stopped early ({resume.Why}). Continue from where it stopped; the task again, for reference:\n\n"
                + File.ReadAllText(request.PromptFile, Encoding.UTF8),
                new UTF8Encoding(false));
        }

        // Configured args go before the prompt: after "--" everything is the prompt.
        argv.AddRange(Config.Args);
        argv.AddRange(PromptArguments(promptFile));
        foreach (var (name, value) in Config.Env)
            env[name] = value;
        return EngineLaunch.Run(argv) with { Environment = env, Stream = CreateStream(), Model = model, DirectToProvider = Gateway(run) is null };
    }

    /// <summary><c>[approvals]</c>: rules every job gets and how long an ask waits.</summary>
    public ApprovalsConfig Approvals { get; init; } = new();

    /// <summary>
    /// Why this run cannot enforce tool-approval rules that ask or deny; null when it can. Only a CLI whose per-call
    /// hook Drover answers (claude's permission prompt tool) can: the others would run every call unasked.
    /// </summary>
    protected virtual string? ApprovalsProblem(EngineRequest request) =>
        $"Drover cannot answer {Name}'s tool calls one by one, so tool approval rules that ask or deny cannot be enforced " +
        "(run the job with engine claude, or give it only allow rules)";

    /// <summary>Adds the CLI's arguments after the binary, and its environment; the runner adds the prompt last, after <c>--</c>.</summary>
    protected abstract void Build(AgentInvocation run);

    /// <summary>The provider kind this CLI speaks (anthropic or openai); null = never pointed at the gateway.</summary>
    protected virtual string? GatewayKind => null;

    /// <summary>The gateway this run should use: on, not switched off for this engine, and able to serve the CLI's protocol.</summary>
    protected GatewayEndpoint? Gateway(AgentInvocation run) =>
        run.Request.Gateway is { } g && Config.Gateway != false && GatewayKind is { } kind && g.Kinds.Contains(kind) ? g : null;

    public abstract AgentStream CreateStream();

    /// <summary>Whether this CLI can continue a session by id (<see cref="AddResume"/>).</summary>
    protected virtual bool SupportsResume => false;

    /// <summary>Adds the arguments that continue session <paramref name="sessionId"/>, after <see cref="Build"/>'s.</summary>
    protected virtual void AddResume(AgentInvocation run, string sessionId)
    {
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            if (new FileInfo(file).LinkTarget is not null)
                continue;
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            File.Copy(file, target, overwrite: true);
        }
    }

    /// <summary>How the prompt is handed over, last: by default one argv element after <c>--</c>.</summary>
    protected virtual IEnumerable<string> PromptArguments(string promptFile) => ["--", PromptArgument(promptFile)];

    /// <summary>The configured path, else the first executable <see cref="Binary"/> on PATH; null when neither exists.</summary>
    public string? Resolve()
    {
        if (Config.Path is { Length: > 0 } configured)
            return File.Exists(configured) ? Path.GetFullPath(configured) : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, Binary);
            if (File.Exists(candidate) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(candidate) & UnixFileMode.UserExecute) != 0))
                return candidate;
        }

        return null;
    }

    /// <summary>
    /// Where the CLI is and which version it reports (<c>--version</c>, 10 s at most). Never throws: a missing or
    /// broken CLI is reported in <see cref="EngineInfo.Error"/>.
    /// </summary>
    public async Task<EngineInfo> DetectAsync(CancellationToken ct)
    {
        var path = Resolve();
        if (path is null)
            return new EngineInfo(Name, null, null, $"{Config.Path ?? Binary} not found" + (Config.Path is null ? " on PATH" : ""));
        try
        {
            var psi = new System.Diagnostics.ProcessStartInfo(path, "--version")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (var (name, value) in Config.Env)
                psi.Environment[name] = value;
            using var process = System.Diagnostics.Process.Start(psi)!;
            process.StandardInput.Close();
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(TimeSpan.FromSeconds(10));
            var stdout = process.StandardOutput.ReadToEndAsync(limit.Token);
            var stderr = process.StandardError.ReadToEndAsync(limit.Token);
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                return new EngineInfo(Name, path, null, "--version did not answer within 10 s");
            }

            var text = await stdout + "\n" + await stderr;
            var version = VersionPattern().Match(text);
            return process.ExitCode == 0 && version.Success
                ? new EngineInfo(Name, path, version.Value, null)
                : new EngineInfo(Name, path, null, $"--version exited {process.ExitCode}: {FailureText.Trim(text, 200)}");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or UnauthorizedAccessException)
        {
            return new EngineInfo(Name, path, null, e.Message);
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.-]+)?")]
    private static partial System.Text.RegularExpressions.Regex VersionPattern();

    /// <summary>The prompt text for argv, or for prompts over <see cref="MaxArgvPromptBytes"/> a request to read the file.</summary>
    protected static string PromptArgument(string promptFile)
    {
        var text = File.ReadAllText(promptFile, Encoding.UTF8);
        return Encoding.UTF8.GetByteCount(text) <= MaxArgvPromptBytes
            ? text
            : $"Your task is too long to pass inline. Read it in full from the file {promptFile} before doing anything else, then do it.";
    }

    /// <summary>Copies a login file (0600) into the run's home so a per-run config dir keeps the user's credentials.</summary>
    protected static void CopySecret(string? from, string to)
    {
        if (from is null || !File.Exists(from))
            return;
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        File.Copy(from, to, overwrite: true);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(to, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    protected static string? UserHome(params string[] parts)
    {
        var home = Environment.GetEnvironmentVariable("HOME");
        return string.IsNullOrEmpty(home) ? null : Path.Combine([home, .. parts]);
    }
}

/// <summary>A detected engine: its path and version, or why it cannot run here.</summary>
public sealed record EngineInfo(string Name, string? Path, string? Version, string? Error)
{
    /// <summary>What a worker with this engine offers: <c>engine:&lt;name&gt;</c>, and <c>engine:&lt;name&gt;=&lt;version&gt;</c>
    /// so jobs can ask for <c>engine:claude&gt;=2.1</c>.</summary>
    public IReadOnlyList<string> Capabilities => Path is null
        ? []
        : Version is null ? [$"engine:{Name}"] : [$"engine:{Name}", $"engine:{Name}={Version}"];
}

/// <summary>What a driver fills in for one run.</summary>
public sealed record AgentInvocation(
    EngineRequest Request, string Home, string? Model, List<string> Argv, Dictionary<string, string?> Env)
{
    /// <summary>Some approval rule asks or denies: every tool call must go through Drover (SPEC §13).</summary>
    public bool EnforceApprovals { get; init; }
}

/// <summary>Claude Code: <c>claude -p --output-format stream-json --verbose</c>, config in CLAUDE_CONFIG_DIR.</summary>
public sealed class ClaudeDriver(EngineConfig? config = null) : AgentDriver(config)
{
    public override string Name => "claude";

    public override AgentStream CreateStream() => new ClaudeStream();

    protected override void Build(AgentInvocation run)
    {
        run.Env["CLAUDE_CONFIG_DIR"] = run.Home;
        run.Env["DISABLE_TELEMETRY"] = "1";
        run.Env["DISABLE_AUTOUPDATER"] = "1";
        run.Env["DISABLE_ERROR_REPORTING"] = "1";
        run.Env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1";
        run.Env["CLAUDE_CODE_MAX_RETRIES"] = "0"; // Drover retries; the CLI's own 10 retries would hide an outage
        if (Gateway(run) is { } gateway)
        {
            // Every model call goes through Drover's gateway with this attempt's key (sent as x-api-key).
            run.Env["ANTHROPIC_BASE_URL"] = gateway.Root;
            run.Env["ANTHROPIC_API_KEY"] = gateway.Key;
            run.Env["ANTHROPIC_AUTH_TOKEN"] = null;
            if (run.Model is { } m)
                run.Env["ANTHROPIC_SMALL_FAST_MODEL"] = m; // its background calls take the same route
        }
        else
        {
            CopySecret(UserHome(".claude", ".credentials.json"), Path.Combine(run.Home, ".credentials.json"));
        }

        run.Argv.AddRange(["-p", "--output-format", "stream-json", "--verbose"]);
        if (run.EnforceApprovals)
        {
            // Claude's default permission mode with nothing pre-allowed: every call it would prompt for goes to Drover.
            run.Argv.AddRange(ClaudeApprovals.Arguments(run, Approvals.Timeout));
        }
        else
        {
            // Claude refuses bypassPermissions as root (containers, CI); there, edits are accepted and the
            // tools an unattended run needs are allowed by name instead (RECIPES.md).
            run.Argv.AddRange(Environment.IsPrivilegedProcess
                ? ["--permission-mode", "acceptEdits", "--allowedTools", "Bash Edit Write MultiEdit NotebookEdit"]
                : ["--permission-mode", "bypassPermissions"]);
        }

        if (run.Model is { } model)
            run.Argv.AddRange(["--model", model]);
    }

    protected override string GatewayKind => "anthropic";

    /// <summary>Claude asks Drover's MCP tool over the gateway's /v1 with the attempt's key: the gateway must be up.</summary>
    protected override string? ApprovalsProblem(EngineRequest request) => request.Gateway is null
        ? "tool approval rules that ask or deny need Drover's gateway ([gateway] enabled = true, and a running drover serve): claude asks it before each tool call"
        : null;

    protected override bool SupportsResume => true;

    protected override void AddResume(AgentInvocation run, string sessionId) => run.Argv.AddRange(["--resume", sessionId]);
}

/// <summary>Codex: <c>codex exec --json</c>, config.toml in a per-run CODEX_HOME with update checks and plugins off.</summary>
public sealed class CodexDriver(EngineConfig? config = null) : AgentDriver(config)
{
    public override string Name => "codex";

    public override AgentStream CreateStream() => new CodexStream();

    protected override void Build(AgentInvocation run)
    {
        run.Env["CODEX_HOME"] = run.Home;
        var gateway = Gateway(run);
        // Through the gateway: a model provider on its /v1 (Responses), keyed by the attempt's DROVER_GATEWAY_KEY; the
        // gateway owns retries and failover, so codex's own are off.
        var provider = gateway is null ? "" : $$"""
            model_provider = "drover"
            [model_providers.drover]
            name = "drover"
            base_url = "{{gateway.Url}}"
            env_key = "DROVER_GATEWAY_KEY"
            wire_api = "responses"
            request_max_retries = 0
            stream_max_retries = 0

            """;
        File.WriteAllText(Path.Combine(run.Home, "config.toml"), provider + """
            check_for_update_on_startup = false
            web_search = "disabled"
            [analytics]
            enabled = false
            [features]
            plugins = false
            unbounded_connection_retries = false

            """);
        if (gateway is null)
            CopySecret(UserHome(".codex", "auth.json"), Path.Combine(run.Home, "auth.json"));
        run.Argv.AddRange(["exec", "--json", "--dangerously-bypass-approvals-and-sandbox", "--skip-git-repo-check", "-C", run.Request.Workspace]);
        if (run.Model is { } model)
            run.Argv.AddRange(["-m", model]);
    }

    protected override string GatewayKind => "openai";

    protected override bool SupportsResume => true;

    /// <summary><c>codex exec [options] resume &lt;id&gt; [-c …] -- &lt;prompt&gt;</c>; the session lives in CODEX_HOME/sessions.</summary>
    protected override void AddResume(AgentInvocation run, string sessionId) => run.Argv.AddRange(["resume", sessionId]);
}

/// <summary>OpenCode: <c>opencode run --format json</c> with per-run XDG dirs and its downloads/sharing off.</summary>
public sealed class OpenCodeDriver(EngineConfig? config = null) : AgentDriver(config)
{
    public override string Name => "opencode";

    public override AgentStream CreateStream() => new OpenCodeStream();

    protected override void Build(AgentInvocation run)
    {
        foreach (var (name, dir) in new[] { ("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache"), ("XDG_STATE_HOME", "state") })
        {
            var path = Path.Combine(run.Home, dir);
            Directory.CreateDirectory(path);
            run.Env[name] = path;
        }

        foreach (var flag in new[] { "OPENCODE_DISABLE_AUTOUPDATE", "OPENCODE_DISABLE_MODELS_FETCH", "OPENCODE_DISABLE_LSP_DOWNLOAD", "OPENCODE_DISABLE_DEFAULT_PLUGINS", "OPENCODE_DISABLE_SHARE" })
            run.Env[flag] = "1";
        if (Gateway(run) is { } gateway && run.Model is { } gwModel)
        {
            // An OpenAI-compatible provider "drover" on the gateway; the key is read from the environment, never written.
            var config = new System.Text.Json.Nodes.JsonObject
            {
                ["autoupdate"] = false,
                ["share"] = "disabled",
                ["model"] = $"drover/{gwModel}",
                ["small_model"] = $"drover/{gwModel}",
                ["provider"] = new System.Text.Json.Nodes.JsonObject
                {
                    ["drover"] = new System.Text.Json.Nodes.JsonObject
                    {
                        ["npm"] = "@ai-sdk/openai-compatible",
                        ["name"] = "drover",
                        ["options"] = new System.Text.Json.Nodes.JsonObject { ["baseURL"] = gateway.Url, ["apiKey"] = "{env:DROVER_GATEWAY_KEY}" },
                        ["models"] = new System.Text.Json.Nodes.JsonObject { [gwModel] = new System.Text.Json.Nodes.JsonObject { ["name"] = gwModel, ["tool_call"] = true } },
                    },
                },
                ["permission"] = new System.Text.Json.Nodes.JsonObject { ["edit"] = "allow", ["bash"] = "allow", ["webfetch"] = "deny" },
            };
            var dir = Path.Combine(run.Home, "config", "opencode");
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "opencode.json"), config.ToJsonString());
            run.Argv.AddRange(["run", "--format", "json", "-m", $"drover/{gwModel}"]);
            return;
        }

        var userConfig = UserHome(".config", "opencode", "opencode.json");
        CopySecret(userConfig, Path.Combine(run.Home, "config", "opencode", "opencode.json"));
        CopySecret(UserHome(".local", "share", "opencode", "auth.json"), Path.Combine(run.Home, "data", "opencode", "auth.json"));
        run.Argv.AddRange(["run", "--format", "json"]);
        if (run.Model is { } model)
            run.Argv.AddRange(["-m", model]);
    }

    /// <summary>Through the gateway only with a model named (the job's or the engine's): opencode needs one for its provider.</summary>
    protected override string GatewayKind => "openai";
}

/// <summary>Qwen Code: <c>qwen --yolo -o stream-json</c> with a per-run QWEN_HOME whose settings switch telemetry off.</summary>
public sealed class QwenDriver(EngineConfig? config = null) : AgentDriver(config)
{
    public override string Name => "qwen";

    public override AgentStream CreateStream() => new QwenStream();

    protected override void Build(AgentInvocation run)
    {
        run.Env["QWEN_HOME"] = run.Home;
        run.Env["QWEN_CODE_SUPPRESS_YOLO_WARNING"] = "1";
        File.WriteAllText(Path.Combine(run.Home, "settings.json"),
            """{"general":{"disableAutoUpdate":true,"disableUpdateNag":true},"privacy":{"usageStatisticsEnabled":false},"telemetry":{"enabled":false}}""");
        if (Gateway(run) is { } gateway)
        {
            run.Env["OPENAI_BASE_URL"] = gateway.Url;
            run.Env["OPENAI_API_KEY"] = gateway.Key;
            if (run.Model is { } m)
                run.Env["OPENAI_MODEL"] = m;
            run.Argv.AddRange(["--auth-type", "openai"]);
        }

        run.Argv.AddRange(["--yolo", "--chat-recording", "false", "-o", "stream-json"]);
        if (run.Model is { } model)
            run.Argv.AddRange(["-m", model]);
    }

    protected override string GatewayKind => "openai";
}

/// <summary>The built-in drivers, configured from <c>[engines.*]</c>, and the custom engines defined there.</summary>
public static class EngineDrivers
{
    /// <summary>Every agent and custom engine with its path, version or error (shell is always there and not listed).</summary>
    public static async Task<IReadOnlyList<EngineInfo>> DetectAsync(IReadOnlyDictionary<string, EngineConfig>? engines, CancellationToken ct) =>
        await Task.WhenAll(All(engines).Select(d => d switch
        {
            AgentDriver agent => agent.DetectAsync(ct),
            CustomEngineDriver custom => custom.DetectAsync(ct),
            _ => null,
        }).OfType<Task<EngineInfo>>());

    /// <param name="approvals"><c>[approvals]</c>: the rules every job gets (SPEC §13).</param>
    public static IReadOnlyList<IEngineDriver> All(IReadOnlyDictionary<string, EngineConfig>? engines, ApprovalsConfig? approvals = null)
    {
        var a = approvals ?? new ApprovalsConfig();
        EngineConfig? For(string name) => engines is not null && engines.TryGetValue(name, out var c) ? c : null;
        IEngineDriver[] builtIn =
        [
            new ShellEngineDriver(), new ClaudeDriver(For("claude")) { Approvals = a }, new CodexDriver(For("codex")) { Approvals = a },
            new OpenCodeDriver(For("opencode")) { Approvals = a }, new QwenDriver(For("qwen")) { Approvals = a },
            new GeminiDriver(For("gemini")) { Approvals = a }, new AiderDriver(For("aider")) { Approvals = a },
        ];

        // [engines.NAME] with a command is a custom engine; it takes the place of a built-in of the same name.
        var custom = (engines ?? new Dictionary<string, EngineConfig>())
            .Where(e => e.Value.Command is { Count: > 0 })
            .Select(e => new CustomEngineDriver(e.Key, e.Value))
            .ToList();
        return [.. builtIn.Where(d => custom.TrueForAll(c => c.Name != d.Name)), .. custom];
    }
}
