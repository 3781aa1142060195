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
    private static JobSpec Build(SpecReader r, SpecParseContext ctx, SpecErrors errors)
    {
        var engineOk = true;
        var engine = errors.Try(() => EngineName(r, "engine", ctx), null);
        if (engine is null && r.Has("engine"))
            engineOk = false;
        var engineClass = errors.Try(() => EngineName(r, "engine_class", null), null);
        var prefers = errors.Try(() => Prefers(r, ctx), []);
        var (commandLine, commandArgv) = errors.Try(() => Command(r), (null, null));
        var hasCommand = commandLine is not null || commandArgv is not null || r.Has("command");
        engine ??= hasCommand ? "shell" : engineClass is not null ? "" : null;
        if (engineOk)
        {
            // The engine's own error says what is wrong; blaming command for a misspelt engine would mislead.
            if (engine is null)
                errors.Add(r.Error("engine", "engine is required (set engine, engine_class, or command for a shell job, or use a profile that sets one)"));
            else if (engine == "shell" && !hasCommand)
                errors.Add(r.Error("command", "required when engine is \"shell\" (a string or an array of arguments)"));
            else if (engine != "shell" && hasCommand)
                errors.Add(r.Error("command", $"only valid with engine \"shell\" (engine is {SpecGrammar.Quote(engine.Length == 0 ? engineClass! : engine)})"));
        }

        engine ??= "";
        var prompt = errors.Try(() => Prompt(r, engine, engineOk), "");
        var repo = errors.Try(() => Repo(r, ctx), null);
        var key = errors.Try(() => Key(r), null);
        var spec = new JobSpec
        {
            Title = errors.Try(() => Title(r, prompt, commandLine, commandArgv), ""),
            Prompt = prompt,
            Engine = engine,
            EngineClass = engineClass,
            Prefers = prefers,
            CommandLine = commandLine,
            CommandArgv = commandArgv,
            Model = errors.Try(() => Token(r, "model", 200), null),
            Repo = repo ?? "",
            Base = errors.Try(() => Token(r, "base", 256), null),
            Priority = errors.Try(() => Priority(r), 50),
            Capabilities = errors.Try(() => Capabilities(r), []),
            Key = key,
            After = errors.Try(() => After(r, key), []),
            DepsMode = errors.Try(() => Choice(r, "deps_mode", DepsMode.Hard, ("hard", DepsMode.Hard), ("soft", DepsMode.Soft)), DepsMode.Hard),
            Lock = repo is null ? null : errors.Try(() => Lock(r, repo, ctx), null),
            Timeout = errors.Try(() => r.Duration("timeout"), null) ?? TimeSpan.FromMinutes(60),
            StallTimeout = errors.Try(() => r.Duration("stall_timeout"), null) ?? TimeSpan.FromMinutes(15),
            Retry = errors.Try(() => Retry(r.Object("retry")), RetryPolicy.Default),
            Budget = errors.Try(() => Budget(r.Object("budget")), null),
            Verify = errors.Try(() => NonEmpty(r, "verify", multiline: true), null),
            Persona = errors.Try(() => Persona(r), null),
            ExpectChanges = errors.Try(() => r.Bool("expect_changes"), null) ?? false,
            AllowedPaths = errors.Try(() => AllowedPaths(r), []),
            ScopePolicy = errors.Try(() => Choice(r, "scope_policy", ScopePolicy.Warn, ("warn", ScopePolicy.Warn), ("enforce", ScopePolicy.Enforce)), ScopePolicy.Warn),
            Review = errors.Try(() => Choice(r, "review", ReviewMode.Auto, ("auto", ReviewMode.Auto), ("human", ReviewMode.Human)), ReviewMode.Auto),
            Profile = r.String("profile")!,
            Labels = errors.Try(() => Labels(r), new SortedDictionary<string, string>(StringComparer.Ordinal)),
            Tracker = errors.Try(() => Tracker(r), null),
            Env = errors.Try(() => Env(r), new SortedDictionary<string, string>(StringComparer.Ordinal)),
            Secrets = errors.Try(() => Secrets(r), []),
            Network = errors.Try(() => Network(r), null),
            Approvals = errors.Try(() => Approvals(r), []),
            Deliver = errors.Try(() => Choice(r, "deliver", DeliverMode.None, ("none", DeliverMode.None), ("push", DeliverMode.Push), ("pr", DeliverMode.Pr), ("pr_draft", DeliverMode.PrDraft)), DeliverMode.None),
            DeliverDraftOnFailure = errors.Try(() => Choice(r, "deliver_on_failure", false, ("none", false), ("draft", true)), false),
            Automerge = errors.Try(() => r.Bool("automerge"), null) ?? false,
            DeliverBranch = errors.Try(() => DeliverBranch(r), null),
        };
        if (spec.Automerge && spec.Deliver != DeliverMode.Pr)
            errors.Add(r.Error("automerge", "needs deliver: pr (a draft or a bare push has nothing to merge)"));
        if (spec.DeliverBranch is not null && spec.Deliver == DeliverMode.None && !spec.DeliverDraftOnFailure)
            errors.Add(r.Error("deliver_branch", "needs deliver: push, pr or pr_draft (it names where the delivery pushes)"));
        var wantsPull = spec.Deliver is DeliverMode.Pr or DeliverMode.PrDraft || spec.DeliverDraftOnFailure;
        if (wantsPull && ctx is { Trusted: false, ForgeHosts: { } forges } && Workspaces.RepoUrl.IsUrl(spec.Repo))
        {
            var host = Workspaces.RepoUrl.Host(spec.Repo);
            if (host is null || !forges.Contains(host))
                errors.Add(r.Error(spec.Deliver is DeliverMode.Pr or DeliverMode.PrDraft ? "deliver" : "deliver_on_failure",
                    $"a pull request on {host ?? "a file:// repo"} needs a [[forges]] entry for that host (its API opens the pull request)"));
        }
        errors.ThrowIfAny();
        return spec;
    }

    /// <summary>A branch name git accepts and no option: [A-Za-z0-9._/-], no "..", no leading '-' or '/', no trailing '/' or ".lock".</summary>
    private static string? DeliverBranch(SpecReader r)
    {
        var name = r.String("deliver_branch");
        if (name is null)
            return null;
        var ok = name.Length is > 0 and <= 200 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '/' or '-')
            && !name.Contains("..", StringComparison.Ordinal) && !name.Contains("//", StringComparison.Ordinal)
            && name[0] is not ('-' or '/' or '.') && !name.EndsWith('/') && !name.EndsWith(".lock", StringComparison.Ordinal);
        return ok ? name : throw r.Error("deliver_branch", $"{SpecGrammar.Quote(name)} is not a branch name (A-Z a-z 0-9 . _ / -, at most 200)");
    }

    private static Configuration.SandboxNetwork? Network(SpecReader r)
    {
        try
        {
            return Configuration.SandboxConfig.ParseNetwork(r.String("network"));
        }
        catch (FormatException e)
        {
            throw r.Error("network", e.Message);
        }
    }

    /// <summary>A well-formed name; with <paramref name="ctx"/> knowing the engines, also one of them.</summary>
    private static string? EngineName(SpecReader r, string field, SpecParseContext? ctx)
    {
        var name = r.String(field);
        if (name is not null && !SpecGrammar.EngineName().IsMatch(name))
            throw r.Error(field, $"{SpecGrammar.Quote(name)} is not a valid engine name ([a-z][a-z0-9_-]{{0,31}})");
        if (name is not null && ctx is { Trusted: false, Engines: { } known } && !known.Contains(name))
        {
            var hint = EngineNames.Suggest(name, known.Order(StringComparer.Ordinal)) is { } near ? $" (did you mean {near}?)" : "";
            throw r.Error(field, $"unknown engine {SpecGrammar.Quote(name)}{hint}; known: {string.Join(", ", known.Order(StringComparer.Ordinal))} (custom engines: [engines.NAME] command = … in drover.toml)");
        }

        return name;
    }

    private static List<string> Prefers(SpecReader r, SpecParseContext ctx)
    {
        var prefers = r.StringList("prefers") ?? [];
        foreach (var p in prefers)
        {
            if (!SpecGrammar.EngineName().IsMatch(p))
                throw r.Error("prefers", $"{SpecGrammar.Quote(p)} is not a valid engine name ([a-z][a-z0-9_-]{{0,31}})");
            if (ctx is { Trusted: false, Engines: { } known } && !known.Contains(p))
            {
                var hint = EngineNames.Suggest(p, known.Order(StringComparer.Ordinal)) is { } near ? $" (did you mean {near}?)" : "";
                throw r.Error("prefers", $"unknown engine {SpecGrammar.Quote(p)}{hint}");
            }
        }

        return prefers;
    }

    private static (string? Line, IReadOnlyList<string>? Argv) Command(SpecReader r)
    {
        var node = r.Node("command");
        switch (node?.GetValueKind())
        {
            case null:
                return (null, null);
            case JsonValueKind.String:
                var line = NonEmpty(r, "command", multiline: true);
                CheckCommandSize(r, Encoding.UTF8.GetByteCount(line ?? ""));
                return (line, null);
            case JsonValueKind.Array:
                var argv = r.StringList("command")!;
                if (argv.Count == 0)
                    throw r.Error("command", "must not be an empty array");
                if (argv.Any(a => a.Length == 0))
                    throw r.Error("command", "arguments must be non-empty strings");
                CheckCommandSize(r, argv.Sum(a => Encoding.UTF8.GetByteCount(a) + 1));
                return (null, argv);
            default:
                throw r.Error("command", $"expected a string or an array of strings, got {SpecReader.Kind(node)}");
        }
    }

    private static void CheckCommandSize(SpecReader r, int bytes)
    {
        if (bytes > SpecGrammar.MaxCommandBytes)
            throw r.Error("command", $"{bytes} bytes exceeds the 64 KiB limit ({SpecGrammar.MaxCommandBytes} bytes)");
    }

    private static string Prompt(SpecReader r, string engine, bool engineKnown)
    {
        var prompt = r.String("prompt", multiline: true) ?? "";
        var bytes = Encoding.UTF8.GetByteCount(prompt);
        if (bytes > SpecGrammar.MaxPromptBytes)
            throw r.Error("prompt", $"{bytes} bytes exceeds the 1 MiB limit ({SpecGrammar.MaxPromptBytes} bytes)");
        if (engineKnown && engine != "shell" && string.IsNullOrWhiteSpace(prompt))
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
