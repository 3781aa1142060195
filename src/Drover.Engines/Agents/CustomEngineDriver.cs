using System.Text.RegularExpressions;
using Drover.Core.Configuration;
using Drover.Engines.Attempts;

namespace Drover.Engines.Agents;

/// <summary>
/// An engine defined in config (SPEC §8): <c>[engines.NAME] command = [...]</c> is the argv, run directly (never
/// through a shell), with <c>{prompt_file}</c>, <c>{workspace}</c> and <c>{model}</c> replaced inside each element;
/// <c>args</c> are appended and <c>env</c> added. <c>usage</c> picks the reader of its stdout: <c>drover</c> (the
/// default: the DROVER_USAGE/QUESTION/PROGRESS protocol of the shell engine), an agent CLI's format
/// (<c>claude</c>, <c>codex</c>, <c>opencode</c>, <c>qwen</c>), or <c>none</c> (plain text, the exit code decides).
/// </summary>
public sealed partial class CustomEngineDriver : IEngineDriver
{
    private readonly EngineConfig _config;
    private readonly IReadOnlyList<string> _command;

    public CustomEngineDriver(string name, EngineConfig config)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(config);
        if (name == ShellEngineDriver.EngineName)
            throw new ArgumentException("the shell engine takes its command from the job spec", nameof(name));
        if (config.Command is not { Count: > 0 } command || string.IsNullOrEmpty(command[0]))
            throw new ArgumentException($"engine {name}: command must not be empty", nameof(config));
        Name = name;
        _config = config;
        _command = command;
        _ = CreateStream(); // an unknown usage value fails here, at start-up, not on the first job
    }

    public string Name { get; }

    /// <summary>The usage reader; null means the generic DROVER_* protocol (the runner reads it itself).</summary>
    public AgentStream? CreateStream() => _config.Usage switch
    {
        null or "drover" => null,
        "claude" => new ClaudeStream(),
        "codex" => new CodexStream(),
        "opencode" => new OpenCodeStream(),
        "qwen" => new QwenStream(),
        "none" => new TextStream(Name),
        var other => throw new ArgumentException($"engine {Name}: usage \"{other}\" is not one of drover, claude, codex, opencode, qwen, none"),
    };

    public EngineLaunch Launch(EngineRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var model = request.Context.Spec.Model ?? _config.Model;
        if (model is null && _command.Any(part => part.Contains("{model}", StringComparison.Ordinal)))
            return EngineLaunch.Refuse($"{Name}: the command uses {{model}} but neither the job nor [engines.{Name}] model names one");

        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["prompt_file"] = request.PromptFile,
            ["workspace"] = request.Workspace,
            ["model"] = model ?? "",
        };
        var argv = _command.Select(part => Substitute(part, values)).ToList();
        if (_config.Path is { Length: > 0 } path)
            argv[0] = path;
        var program = FindProgram(argv[0], request.Workspace);
        if (program is null)
            return EngineLaunch.Refuse($"{Name}: {argv[0]} not found (install it or fix [engines.{Name}] command)");
        argv[0] = program;
        argv.AddRange(_config.Args);
        return EngineLaunch.Run(argv) with
        {
            Environment = _config.Env.ToDictionary(kv => kv.Key, kv => (string?)kv.Value, StringComparer.Ordinal),
            Stream = CreateStream(),
            DirectToProvider = _config.Gateway == false,
        };
    }

    /// <summary>
    /// Where the program is, without running it (a custom tool need not answer <c>--version</c>). A program whose
    /// path depends on the run (<c>{workspace}/run.sh</c>, a relative path) is checked when a job starts.
    /// </summary>
    public Task<EngineInfo> DetectAsync(CancellationToken ct)
    {
        var program = _config.Path is { Length: > 0 } path ? path : _command[0];
        if (Placeholder().IsMatch(program) || (program.Contains('/', StringComparison.Ordinal) && !Path.IsPathRooted(program)))
            return Task.FromResult(new EngineInfo(Name, program, null, null));
        var found = FindProgram(program, Directory.GetCurrentDirectory());
        return Task.FromResult(found is null
            ? new EngineInfo(Name, null, null, $"{program} not found" + (program.Contains('/', StringComparison.Ordinal) ? "" : " on PATH"))
            : new EngineInfo(Name, found, null, null));
    }

    /// <summary>Replaces each placeholder in one pass, so a substituted value is never substituted again.</summary>
    internal static string Substitute(string part, IReadOnlyDictionary<string, string> values) =>
        Placeholder().Replace(part, m => values[m.Groups[1].Value]);

    /// <summary>A program with a slash is a path (relative to the workspace); without one it is looked up on PATH.</summary>
    private static string? FindProgram(string program, string workspace)
    {
        if (program.Contains('/', StringComparison.Ordinal))
        {
            var full = Path.GetFullPath(program, workspace);
            return File.Exists(full) ? full : null;
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(candidate) & UnixFileMode.UserExecute) != 0))
                return candidate;
        }

        return null;
    }

    [GeneratedRegex(@"\{(prompt_file|workspace|model)\}")]
    private static partial Regex Placeholder();
}
