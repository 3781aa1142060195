using System.ComponentModel;
using System.Globalization;
using Drover.Core.Configuration;
using Drover.Core.Jobs;
using Drover.Core.Secrets;
using Drover.Core.Specs;
using Drover.Core.Storage;
using Drover.Engines.Processes;
using Drover.Engines.Sandbox;
using Drover.Engines.Workspaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Engines.Attempts;

/// <summary>
/// Runs one attempt end to end (SPEC §7) for the engines it has drivers for (by default only <c>shell</c>):
/// prepare the workspace, write prompt.md, run the engine as its own process group with timeout/stall/abort
/// kill rules, read the generic stdout protocol, checkpoint, diff, check scope, run verify and classify.
/// Every attempt that got as far as its run dir leaves <c>log</c> and <c>result.json</c> there.
/// </summary>
public sealed partial class ShellAttemptRunner : IAttemptRunner
{
    // Checkpoint and diff still run after an abort, so they get their own bounded token.
    private static readonly TimeSpan CleanupLimit = TimeSpan.FromSeconds(60);

    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly GitWorkspaces _workspaces;
    private readonly ProcessGroupRunner _processes;
    private readonly Dictionary<string, IEngineDriver> _drivers;
    private readonly IReadOnlyDictionary<string, ModelPrice> _prices;
    private readonly SecretStore? _secrets;
    private readonly GatewayAccess? _gateway;
    private readonly AttemptSandbox? _sandbox;

    public ShellAttemptRunner(
        ILogger<ShellAttemptRunner>? logger = null,
        TimeProvider? time = null,
        GitWorkspaces? workspaces = null,
        ProcessGroupRunner? processes = null,
        IEnumerable<IEngineDriver>? drivers = null,
        IReadOnlyDictionary<string, ModelPrice>? prices = null,
        SecretStore? secrets = null,
        GatewayAccess? gateway = null,
        AttemptSandbox? sandbox = null)
    {
        _secrets = secrets;
        _sandbox = sandbox;
        _gateway = gateway;
        _prices = prices ?? new Dictionary<string, ModelPrice>();
        _logger = logger ?? NullLogger<ShellAttemptRunner>.Instance;
        _time = time ?? TimeProvider.System;
        _workspaces = workspaces ?? new GitWorkspaces();
        _processes = processes ?? new ProcessGroupRunner(time: _time);
        _drivers = (drivers ?? [new ShellEngineDriver()]).ToDictionary(d => d.Name, StringComparer.Ordinal);
    }

    public async Task<AttemptReport> RunAsync(AttemptContext context, CancellationToken abort)
    {
        var job = context.Job;
        if (context.Spec.Engine.Length == 0)
        {
            // engine_class: the first preferred engine this worker actually has (SPEC §3).
            if (ResolveEngineClass(context.Spec) is not { } chosen)
            {
                var order = string.Join(", ", context.Spec.Prefers.Count > 0 ? context.Spec.Prefers : DefaultPreference);
                return Finished(context, Fail(FailureClass.NoEngine, $"none of {order} (engine_class {context.Spec.EngineClass}) is installed on this worker", new AttemptResult()));
            }

            context = context with { Spec = context.Spec with { Engine = chosen } };
        }

        if (!_drivers.TryGetValue(context.Spec.Engine, out var driver))
        {
            // Nothing ran and nothing was written: another worker may have this engine.
            return Finished(context, Fail(FailureClass.NoEngine, $"engine {context.Spec.Engine} is not available on this worker", new AttemptResult()));
        }

        AttemptFiles files;
        try
        {
            files = AttemptFiles.Create(context.Home, job.Id, job.Attempt);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Finished(context, Fail(FailureClass.Infra, $"cannot create the attempt dir: {e.Message}", new AttemptResult()));
        }

        var started = _time.GetTimestamp();
        var run = new RunState(context, files, new LineLog(files.LogPath));
        AttemptReport report;
        try
        {
            report = await RunInDirAsync(run, driver, abort);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or WorkspaceException)
        {
            run.Log.Note($"error: {e.Message}");
            report = Fail(FailureClass.Infra, e.Message, run.Result);
        }
        finally
        {
            run.Log.Dispose();
        }

        report = report with
        {
            Outcome = report.Outcome with { Reason = report.Outcome.Reason is { } why ? run.Redact(why) : null, Question = report.Outcome.Question is { } q ? run.Redact(q) : null },
            Result = report.Result with { LogTail = files.ReadLogTail(), Summary = report.Result.Summary is { } sum ? run.Redact(sum) : null },
            Proposals = [.. run.Proposals.Select(run.Redact)],
        };
        files.WriteResult(report, _time.GetElapsedTime(started), run.Workspace?.Directory);
        if (run.Session is var (engineName, sessionId))
            files.WriteSession(engineName, sessionId, report.Aborted ? AttemptOutcome.Release("aborted") : report.Outcome);
        return Finished(context, report);
    }

    /// <summary>The order <c>engine_class</c> tries engines in when the job gives no <c>prefers</c> (SPEC §3).</summary>
    public static readonly IReadOnlyList<string> DefaultPreference = ["claude", "codex", "opencode", "qwen", "gemini", "aider"];

    private string? ResolveEngineClass(JobSpec spec) =>
        (spec.Prefers.Count > 0 ? spec.Prefers : DefaultPreference).FirstOrDefault(name =>
            _drivers.TryGetValue(name, out var d) && (d is not Agents.AgentDriver agent || agent.Resolve() is not null));

    /// <summary>Names the model the run was told to use when the engine did not say, and prices tokens that came without a cost.</summary>
    private UsageRecord? Priced(UsageRecord? usage, string? model) =>
        usage is null ? null : ModelPrice.Apply(usage.Model is null && model is not null ? usage with { Model = model } : usage, _prices);

    private async Task<AttemptReport> RunInDirAsync(RunState run, IEngineDriver driver, CancellationToken abort)
    {
        var (context, spec) = (run.Context, run.Context.Spec);
        try
        {
            run.Workspace = await _workspaces.PrepareAsync(spec.Repo, context.Home, context.Job.Id, spec.Base, abort);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            return new AttemptReport(Aborted("before the engine started"), run.Result, Aborted: true);
        }
        catch (WorkspaceException e)
        {
            Log.WorkspaceFailed(_logger, e, context.Job.Id, context.Job.Attempt);
            run.Log.Note($"workspace: {e.Message}");
            return Fail(FailureClass.Infra, $"workspace: {e.Message}", run.Result);
        }

        run.Result = run.Result with { Branch = run.Workspace.Branch };
        if (Core.Workspaces.RepoUrl.IsUrl(spec.Repo) && spec.Base != run.Workspace.BaseSha)
            run.Log.Note($"base {spec.Base ?? "HEAD"} of {spec.Repo} resolved at claim to {run.Workspace.BaseSha}");
        if (spec.Secrets.Count > 0)
        {
            IReadOnlyDictionary<string, string> stored;
            try
            {
                stored = _secrets?.ReadAll() ?? new Dictionary<string, string>();
            }
            catch (Core.DroverException)
            {
                // A damaged secrets file: say so (its contents never go into the reason) rather than crash the attempt.
                var problem = SecretsFileCheck.Problem(_secrets!.Path) ?? "the secrets file cannot be read";
                return Fail(FailureClass.DependencyMissing, $"cannot read the secret store: {problem} (drover doctor checks it)", run.Result);
            }

            var missing = spec.Secrets.Where(n => !stored.ContainsKey(n)).ToList();
            if (missing.Count > 0)
            {
                return Fail(FailureClass.DependencyMissing, $"not in the secret store: {string.Join(", ", missing)} (drover secret set NAME)", run.Result);
            }

            // A value set before the length rule could not be masked in the job's output: refuse to hand it over.
            var tooShort = spec.Secrets.Where(n => SecretMasker.LengthProblem(stored[n]) is not null).ToList();
            if (tooShort.Count > 0)
            {
                return Fail(FailureClass.DependencyMissing, $"secret {string.Join(", ", tooShort)} is shorter than {SecretMasker.MinLength} characters and cannot be masked in job output (drover secret set NAME with a longer value)", run.Result);
            }

            run.Secrets = spec.Secrets.ToDictionary(n => n, n => stored[n], StringComparer.Ordinal);
            run.Log.Redact = run.Redact;
        }

        if (_gateway is not null && _gateway.Url() is { } gatewayUrl)
        {
            // The attempt's own gateway key: spend is attributed to it, and it dies with the attempt.
            run.GatewayUrl = gatewayUrl.TrimEnd('/') + "/v1";
            run.Secrets["DROVER_GATEWAY_KEY"] = Core.Gateway.JobKeys.Mint(_gateway.Secret, context.Job.Id, context.Job.Attempt);
            run.Log.Redact = run.Redact;
        }

        run.Files.WritePrompt(spec.Prompt, context.Job.Answers, spec.Persona);
        var resume = AttemptFiles.PreviousSession(context.Home, context.Job.Id, context.Job.Attempt);
        if (resume is not null && resume.Engine == driver.Name)
        {
            run.Log.Note($"continuing the agent session {resume.SessionId} of attempt {context.Job.Attempt - 1} ({resume.Why})");
            run.ResumeHome = resume.Home;
        }
        if (await context.Sink.BudgetAsync(null, abort) is { } refused)
        {
            run.Log.Note($"budget: {refused.Reason}");
            return BudgetEnd(refused, run.Result);
        }

        var gatewayEndpoint = run.GatewayUrl is { } gw && _gateway is not null ? new GatewayEndpoint(gw, run.Secrets["DROVER_GATEWAY_KEY"], _gateway.Kinds) : null;
        var launch = driver.Launch(new EngineRequest(context, run.Workspace.Directory, run.Files.PromptPath) { Resume = resume, Gateway = gatewayEndpoint });
        if (launch.Argv is not { Count: > 0 } argv)
        {
            return Fail(FailureClass.NoEngine, launch.Error ?? $"engine {driver.Name} built no command", run.Result);
        }

        AttemptOutput? output = null;
        output = new AttemptOutput(run.Log, (text, ct) => ReportProgressAsync(context, run.Redact(text), ct))
        {
            OnUsage = ct => CheckBudgetAsync(run, Priced(output!.Usage, launch.Model), ct),
        };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(abort);
        run.Stop = stop;
        run.EngineEnv = launch.Environment;
        run.DirectToProvider = launch.DirectToProvider;
        if (Confine(run, argv) is not { } confined)
        {
            return Fail(FailureClass.DependencyMissing, $"sandbox: {run.SandboxError}", run.Result);
        }

        argv = confined;
        ProcessRunResult? engine;
        Agents.AgentVerdict? verdict = null;
        if (launch.Stream is { } stream)
        {
            // An agent CLI: its raw JSON lines go to stream.jsonl; the log and the progress events get readable lines.
            using var raw = new LineLog(Path.Combine(run.Files.Dir, "stream.jsonl")) { Redact = run.Secrets.Count > 0 ? run.Redact : null };
            engine = await StartAsync(run, argv, spec.Timeout, (line, ct) => OnAgentLineAsync(run, stream, line, ct), stop.Token, raw);
            if (engine is not null)
            {
                verdict = stream.Finish(engine.ExitCode, engine.LastStderrLine);
                run.Session = verdict.SessionId is { } session ? (driver.Name, session) : null;
                if (engine.LastStderrLine is { } stderr && verdict.Failure is not null)
                    run.Log.Note($"last stderr line: {Truncate(stderr, 500)}");
            }
        }
        else
        {
            engine = await StartAsync(run, argv, spec.Timeout, output.OnStdoutLineAsync, stop.Token);
        }

        if (engine is null)
        {
            return Fail(FailureClass.Infra, $"cannot start {argv[0]}", run.Result);
        }

        if (verdict?.FinalMessage is { } message)
            output.ReadProposals(message);
        run.Proposals = output.Proposals;
        run.Result = run.Result with
        {
            ExitCode = engine.ExitCode,
            Usage = Priced(verdict is null ? output.Usage : verdict.Usage?.ToRecord(), launch.Model),
            Summary = verdict is null ? output.Summary : verdict.FinalMessage is { } final ? Truncate(final.Trim(), 4096) : null,
            EngineRan = engine.Killed is null,
        };

        // Checkpoint: also after a crash or a kill, so a retry resumes from whatever the agent got done.
        var checkpointError = await CheckpointAsync(run);
        // An agent CLI says what it used when it ends: its budget is checked then.
        if (verdict is not null && run.Result.Usage is { } reported && !abort.IsCancellationRequested)
            await CheckBudgetAsync(run, reported, abort);
        if (run.BudgetStop is { } overBudget && !abort.IsCancellationRequested)
        {
            return BudgetEnd(overBudget, run.Result);
        }

        if (engine.Killed == KillReason.Aborted)
        {
            return new AttemptReport(Aborted("while the engine ran"), run.Result, Aborted: true);
        }

        if (ClassifyEngineEnd(run, engine, output.Question, verdict, checkpointError) is { } ended)
        {
            return ended;
        }

        try
        {
            return await JudgeAsync(run, engine, abort);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            // Cancelled, shut down or fenced while judging: the work is checkpointed; report an abort, not an error.
            return new AttemptReport(Aborted("while the attempt was judged"), run.Result, Aborted: true);
        }
    }

    /// <summary>How the engine's own run ends the attempt, or null when it ended cleanly and the work is to be judged.</summary>
    private static AttemptReport? ClassifyEngineEnd(
        RunState run, ProcessRunResult engine, string? protocolQuestion, Agents.AgentVerdict? verdict, string? checkpointError)
    {
        var spec = run.Context.Spec;

        // A question is the agent's last word: however the process then ended (exit 0, an error exit, or a
        // hang until the stall timer), the job waits for an answer rather than retrying blind.
        if ((verdict?.Question ?? protocolQuestion) is { } question)
        {
            return new AttemptReport(AttemptOutcome.AwaitAnswer(question), run.Result, Aborted: false);
        }

        return engine switch
        {
            { Killed: KillReason.Timeout } => Fail(FailureClass.Timeout, $"timed out after {Human(spec.Timeout)}", run.Result),
            { Killed: KillReason.Stalled } => Fail(FailureClass.Stalled, $"no output or progress for {Human(spec.StallTimeout)}", run.Result),
            // A limit with a known reset is not a failed attempt: the job (and its engine, fleet-wide) waits for it.
            _ when verdict?.Failure is { RetryAt: { } resetAt } limit && limit.Class is FailureClass.RateLimited or FailureClass.QuotaExhausted =>
                new AttemptReport(AttemptOutcome.WaitForReset(limit.Class, limit.Reason, resetAt, spec.Engine), run.Result, Aborted: false),
            // An agent's own verdict (is_error, denials, turn.failed, …) decides, whatever its exit code says.
            _ when verdict?.Failure is { } failure => Fail(failure.Class, failure.Reason, run.Result),
            { ExitCode: not 0 } => Fail(FailureClass.Crash, CrashReason(engine), run.Result),
            _ when checkpointError is not null => Fail(FailureClass.Infra, $"checkpoint failed: {checkpointError}", run.Result),
            _ => null,
        };
    }

    /// <summary>The job's own budget fails it; a used-up daily budget releases it until the budget renews, uncounted.</summary>
    private static AttemptReport BudgetEnd(BudgetStop stop, AttemptResult result) =>
        stop.ResumeAt is { } at
            ? new AttemptReport(new AttemptOutcome(AttemptOutcomeKind.Released, FailureClass.BudgetExhausted, stop.Reason, NotBefore: at), result, Aborted: false)
            : Fail(FailureClass.BudgetExhausted, stop.Reason, result);

    /// <summary>Stops the engine (its whole process group) once the job's budgets have no room for what it reported.</summary>
    private static async Task CheckBudgetAsync(RunState run, UsageRecord? usage, CancellationToken ct)
    {
        if (run.BudgetStop is not null || usage is null || await run.Context.Sink.BudgetAsync(usage, ct) is not { } why)
            return;
        run.BudgetStop = why;
        run.Log.Note($"budget: {why.Reason}; stopping the engine");
        await run.Stop!.CancelAsync();
    }

    private async Task OnAgentLineAsync(RunState run, Agents.AgentStream stream, string line, CancellationToken ct)
    {
        if (stream.Read(line) is not { } progress)
            return;
        run.Log.WriteLine(progress);
        await ReportProgressAsync(run.Context, run.Redact(progress), ct);
    }

    private async Task<ProcessRunResult?> StartAsync(
        RunState run, IReadOnlyList<string> argv, TimeSpan timeout, Func<string, CancellationToken, Task>? onLine, CancellationToken abort,
        LineLog? log = null)
    {
        var request = new ProcessRunRequest(argv, run.Workspace!.Directory, log ?? run.Log)
        {
            Environment = BuildEnvironment(run),
            InheritEnvironment = _sandbox is not { CleanEnvironment: true },
            Timeout = timeout,
            StallTimeout = run.Context.Spec.StallTimeout,
            Excused = run.Context.Sink.WaitingOnPersonAsync,
            KillGrace = run.Context.KillGrace,
            OnStdoutLine = onLine,
        };
        try
        {
            return await _processes.RunAsync(request, abort);
        }
        catch (Win32Exception e)
        {
            run.Log.Note($"cannot start {argv[0]}: {e.Message}");
            return null;
        }
    }

    private Dictionary<string, string?> BuildEnvironment(RunState run)
    {
        // Built from nothing unless the sandbox is off: what the worker's own environment holds (a provider key, the
        // token of some other tool) never reaches the agent unless [sandbox] pass_env names it.
        var env = _sandbox is { CleanEnvironment: true } sandbox
            ? SandboxEnvironment.Base(sandbox.Config.PassEnv, run.RunHome)
            : new Dictionary<string, string?>(StringComparer.Ordinal);
        if (run.GatewayUrl is { } clientGateway && !run.DirectToProvider)
        {
            // The names the official OpenAI and Anthropic clients read (SPEC §7), under the driver's, the engine's and
            // the job's own values. The OpenAI SDK appends /chat/completions to a base ending in /v1; the Anthropic SDK
            // appends /v1/messages to the server root.
            var key = run.Secrets["DROVER_GATEWAY_KEY"];
            env["OPENAI_BASE_URL"] = clientGateway;
            env["OPENAI_API_KEY"] = key;
            env["ANTHROPIC_BASE_URL"] = clientGateway[..^"/v1".Length];
            env["ANTHROPIC_API_KEY"] = key;
        }

        foreach (var (name, value) in run.EngineEnv)
        {
            env[name] = value;
        }

        foreach (var (name, value) in run.Context.Spec.Env)
        {
            env[name] = value;
        }

        foreach (var (name, value) in run.Secrets)
        {
            env[name] = value;
        }

        if (run.GatewayUrl is { } gateway)
        {
            env["DROVER_GATEWAY_URL"] = gateway;
        }

        // Set last so a spec cannot spoof the attempt's identity.
        env["DROVER_JOB_ID"] = run.Context.Job.Id.ToString(CultureInfo.InvariantCulture);
        env["DROVER_ATTEMPT"] = run.Context.Job.Attempt.ToString(CultureInfo.InvariantCulture);
        env["DROVER_WORKSPACE"] = run.Workspace!.Directory;
        env["DROVER_PROMPT_FILE"] = run.Files.PromptPath;
        return env;
    }

    private async Task ReportProgressAsync(AttemptContext context, string text, CancellationToken ct)
    {
        try
        {
            await context.Sink.ProgressAsync(text, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Progress is advisory; losing the lease is signalled through the abort token, not here.
            Log.ProgressFailed(_logger, e, context.Job.Id, context.Job.Attempt);
        }
    }

    private AttemptReport Finished(AttemptContext context, AttemptReport report)
    {
        Log.AttemptFinished(_logger, context.Job.Id, context.Job.Attempt, report.Outcome.Kind.ToString(), report.Outcome.Class);
        return report;
    }

    private static AttemptReport Fail(string failureClass, string reason, AttemptResult result) =>
        new(AttemptOutcome.Failure(failureClass, reason), result, Aborted: false);

    private static AttemptOutcome Aborted(string when) => AttemptOutcome.Failure(FailureClass.Cancelled, $"attempt aborted {when}");

    private static string CrashReason(ProcessRunResult run)
    {
        var reason = $"exit code {run.ExitCode}";
        if (run.Signal is { } signal)
        {
            reason += $" (signal {signal}?)";
        }

        return run.LastStderrLine is { } stderr ? $"{reason}: {Truncate(stderr, 500)}" : reason;
    }

    private static string Truncate(string text, int max) =>
        text.Length <= max ? text : text[..(char.IsHighSurrogate(text[max - 1]) ? max - 1 : max)] + "…";

    private static string Human(TimeSpan span) => $"{span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s";

    /// <summary>The mutable state of one attempt as it moves through its steps.</summary>
    private sealed class RunState(AttemptContext context, AttemptFiles files, LineLog log)
    {
        public AttemptContext Context { get; } = context;
        public AttemptFiles Files { get; } = files;
        public LineLog Log { get; } = log;
        public Workspace? Workspace { get; set; }
        public AttemptResult Result { get; set; } = new();

        /// <summary>The engine's DROVER_PROPOSE objects.</summary>
        public IReadOnlyList<string> Proposals { get; set; } = [];
        public IReadOnlyDictionary<string, string?> EngineEnv { get; set; } = new Dictionary<string, string?>();

        /// <summary>Stops the engine without aborting the attempt (a budget the engine's own usage used up).</summary>
        public CancellationTokenSource? Stop { get; set; }

        /// <summary>Why the budget stopped the engine, once it has.</summary>
        public BudgetStop? BudgetStop { get; set; }

        /// <summary>The engine uses its own provider login: no OPENAI_*/ANTHROPIC_* gateway defaults.</summary>
        public bool DirectToProvider { get; set; }

        /// <summary>Drover's /v1 gateway for this attempt (with DROVER_GATEWAY_KEY among the secrets), when it is on.</summary>
        public string? GatewayUrl { get; set; }

        /// <summary>The job's secrets (name → value), in the engine's environment and masked in everything recorded.</summary>
        public Dictionary<string, string> Secrets { get; set; } = [];

        public string Redact(string text) => SecretMasker.For(Secrets).Mask(text);

        /// <summary>The agent's HOME: <c>agent-home</c> in the run dir (agent drivers put their config there too).</summary>
        public string RunHome => Path.Combine(Files.Dir, "agent-home");

        /// <summary>The previous attempt's agent home, when this attempt continues its session.</summary>
        public string? ResumeHome { get; set; }

        /// <summary>Why the sandbox could not be built for this attempt.</summary>
        public string? SandboxError { get; set; }

        /// <summary>The agent CLI's session (engine, id), when it reported one.</summary>
        public (string Engine, string Id)? Session { get; set; }
    }
}
