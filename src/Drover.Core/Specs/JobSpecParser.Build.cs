using System.Text;
using System.Text.Json;

namespace Drover.Core.Specs;

public static partial class JobSpecParser
{
    /// <summary>
    /// Applies the SPEC §3 rules and built-in defaults to a merged, normalized spec object.
    /// Engine resolution: the job's or profile's <c>engine</c>; else <c>shell</c> when a <c>command</c> is
    /// given; else, with <c>engine_class</c>, <see cref="JobSpec.Engine"/> stays "" and a worker picks the
    /// first available engine of the class when it claims the job; else the spec is rejected.
    /// </summary>
    private static JobSpec Build(SpecReader r, SpecParseContext ctx)
    {
        var engine = EngineName(r, "engine");
        var engineClass = EngineName(r, "engine_class");
        var prefers = r.StringList("prefers") ?? [];
        foreach (var p in prefers)
        {
            if (!SpecGrammar.EngineName().IsMatch(p))
                throw r.Error("prefers", $"{SpecGrammar.Quote(p)} is not a valid engine name ([a-z][a-z0-9_-]{{0,31}})");
        }

        var (commandLine, commandArgv) = Command(r);
        var hasCommand = commandLine is not null || commandArgv is not null;
        engine ??= hasCommand ? "shell" : engineClass is not null ? "" : null;
        if (engine is null)
            throw r.Error("engine", "engine is required (set engine, engine_class, or command for a shell job, or use a profile that sets one)");
        if (engine == "shell" && !hasCommand)
            throw r.Error("command", "required when engine is \"shell\" (a string or an array of arguments)");
        if (engine != "shell" && hasCommand)
            throw r.Error("command", $"only valid with engine \"shell\" (engine is {SpecGrammar.Quote(engine.Length == 0 ? engineClass! : engine)})");

        var prompt = Prompt(r, engine);
        var repo = Repo(r, ctx);
        var key = Key(r);
        var retry = Retry(r.Object("retry"));
        return new JobSpec
        {
            Title = Title(r, prompt, commandLine, commandArgv),
            Prompt = prompt,
            Engine = engine,
            EngineClass = engineClass,
            Prefers = prefers,
            CommandLine = commandLine,
            CommandArgv = commandArgv,
            Model = Token(r, "model", 200),
            Repo = repo,
            Base = Token(r, "base", 256),
            Priority = Priority(r),
            Capabilities = Capabilities(r),
            Key = key,
            After = After(r, key),
            DepsMode = Choice(r, "deps_mode", DepsMode.Hard, ("hard", DepsMode.Hard), ("soft", DepsMode.Soft)),
            Lock = Lock(r, repo, ctx),
            Timeout = r.Duration("timeout") ?? TimeSpan.FromMinutes(60),
            StallTimeout = r.Duration("stall_timeout") ?? TimeSpan.FromMinutes(15),
            Retry = retry,
            Budget = Budget(r.Object("budget")),
            Verify = NonEmpty(r, "verify", multiline: true),
            Persona = Persona(r),
            ExpectChanges = r.Bool("expect_changes") ?? false,
            AllowedPaths = AllowedPaths(r),
            ScopePolicy = Choice(r, "scope_policy", ScopePolicy.Warn, ("warn", ScopePolicy.Warn), ("enforce", ScopePolicy.Enforce)),
            Review = Choice(r, "review", ReviewMode.Auto, ("auto", ReviewMode.Auto), ("human", ReviewMode.Human)),
            Profile = r.String("profile")!,
            Labels = Labels(r),
            Tracker = Tracker(r),
            Env = Env(r),
            Secrets = Secrets(r),
        };
    }

    private static string? EngineName(SpecReader r, string field)
    {
        var name = r.String(field);
        if (name is not null && !SpecGrammar.EngineName().IsMatch(name))
            throw r.Error(field, $"{SpecGrammar.Quote(name)} is not a valid engine name ([a-z][a-z0-9_-]{{0,31}})");
        return name;
    }

    private static (string? Line, IReadOnlyList<string>? Argv) Command(SpecReader r)
    {
        var node = r.Node("command");
        switch (node?.GetValueKind())
        {
            case null:
                return (null, null);
            case JsonValueKind.String:
                return (NonEmpty(r, "command", multiline: true), null);
            case JsonValueKind.Array:
                var argv = r.StringList("command")!;
                if (argv.Count == 0)
                    throw r.Error("command", "must not be an empty array");
                if (argv.Any(a => a.Length == 0))
                    throw r.Error("command", "arguments must be non-empty strings");
                return (null, argv);
            default:
                throw r.Error("command", $"expected a string or an array of strings, got {SpecReader.Kind(node)}");
        }
    }

    private static string Prompt(SpecReader r, string engine)
    {
        var prompt = r.String("prompt", multiline: true) ?? "";
        var bytes = Encoding.UTF8.GetByteCount(prompt);
        if (bytes > SpecGrammar.MaxPromptBytes)
            throw r.Error("prompt", $"{bytes} bytes exceeds the 1 MiB limit ({SpecGrammar.MaxPromptBytes} bytes)");
        if (engine != "shell" && string.IsNullOrWhiteSpace(prompt))
            throw r.Error("prompt", "required (only a shell job may omit it)");
        return prompt;
    }

    /// <summary>The given title, or the first non-empty line of the prompt (a Markdown heading's #s dropped), or the command.</summary>
    private static string Title(SpecReader r, string prompt, string? commandLine, IReadOnlyList<string>? argv)
    {
        var title = NonEmpty(r, "title", multiline: false);
        if (title is not null)
        {
            if (SpecGrammar.CharCount(title) > SpecGrammar.MaxTitle)
                throw r.Error("title", $"longer than {SpecGrammar.MaxTitle} characters");
            return title;
        }

        var source = string.IsNullOrWhiteSpace(prompt) ? commandLine ?? string.Join(' ', argv ?? []) : prompt;
        var line = source.Split('\n').Select(l => l.Replace('\t', ' ').Trim()).FirstOrDefault(l => l.Length > 0) ?? "";
        if (!string.IsNullOrWhiteSpace(prompt))
            line = line.TrimStart('#').Trim() is { Length: > 0 } heading ? heading : line;
        return SpecGrammar.Cut(line, SpecGrammar.DefaultTitleLength).Trim();
    }

    /// <summary>A non-empty string, or null when absent.</summary>
    private static string? Persona(SpecReader r)
    {
        var persona = NonEmpty(r, "persona", multiline: true);
        if (persona is not null && System.Text.Encoding.UTF8.GetByteCount(persona) > 64 * 1024)
            throw r.Error("persona", "exceeds the 64 KiB limit");
        return persona;
    }

    private static string? NonEmpty(SpecReader r, string field, bool multiline)
    {
        var value = r.String(field, multiline);
        if (value is not null && string.IsNullOrWhiteSpace(value))
            throw r.Error(field, "must not be empty");
        return value;
    }

    /// <summary>A single word handed to a CLI (model, git ref): no whitespace, and no leading '-' that would read as an option.</summary>
    private static string? Token(SpecReader r, string field, int max)
    {
        var value = NonEmpty(r, field, multiline: false);
        if (value is null)
            return null;
        if (value.Length > max)
            throw r.Error(field, $"longer than {max} characters");
        if (value.StartsWith('-') || value.Any(char.IsWhiteSpace))
            throw r.Error(field, $"{SpecGrammar.Quote(value)} must be one word not starting with '-'");
        return value;
    }

    private static T Choice<T>(SpecReader r, string field, T fallback, params (string Name, T Value)[] choices)
    {
        var given = r.String(field);
        if (given is null)
            return fallback;
        foreach (var (name, value) in choices)
        {
            if (name == given)
                return value;
        }

        throw r.Error(field, $"{SpecGrammar.Quote(given)} is not one of {string.Join(", ", choices.Select(c => c.Name))}");
    }
}
