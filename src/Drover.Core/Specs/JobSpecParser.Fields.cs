using System.Globalization;
using System.Text;
using System.Text.Json;
using Drover.Core.Jobs;

namespace Drover.Core.Specs;

public static partial class JobSpecParser
{
    private static readonly (string Name, int Value)[] PriorityNames =
        [("critical", 100), ("high", 75), ("medium", 50), ("low", 25)];

    private static string Repo(SpecReader r, SpecParseContext ctx)
    {
        var given = NonEmpty(r, "repo", multiline: false);
        var baseDir = Path.GetFullPath(ctx.WorkingDirectory);
        string path;
        if (given is null && ctx.RequireRepo)
        {
            throw r.Error("repo", "required: the absolute path of the directory or git checkout the job works in (the API has no current directory to default to)");
        }
        else if (given is null)
        {
            path = baseDir;
        }
        else if (Workspaces.RepoUrl.IsUrl(given))
        {
            return Workspaces.RepoUrl.Problem(given) is { } problem
                ? throw r.Error("repo", problem)
                : given;
        }
        else
        {
            if (SpecGrammar.HasDotDot(given))
                throw r.Error("repo", $"{SpecGrammar.Quote(given)} must not contain \"..\" segments");
            if (given == "~" || given.StartsWith("~/", StringComparison.Ordinal))
                given = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + given[1..];
            if (ctx.RequireRepo && !Path.IsPathRooted(given))
                throw r.Error("repo", $"{SpecGrammar.Quote(given)} must be an absolute path (the API has no current directory to resolve it against)");
            path = Path.GetFullPath(given, baseDir);
        }

        path = Path.TrimEndingDirectorySeparator(path);
        if (ctx.Trusted)
            return path;
        if (File.Exists(path))
            throw r.Error("repo", $"{SpecGrammar.Quote(path)} is not a directory");
        if (!Directory.Exists(path))
            throw r.Error("repo", $"{SpecGrammar.Quote(path)} does not exist");
        return path;
    }

    private static string? Key(SpecReader r)
    {
        var key = r.String("key");
        if (key is not null && (!SpecGrammar.Key().IsMatch(key) || SpecGrammar.IsAllDigits(key)))
            throw r.Error("key", $"{SpecGrammar.Quote(key)} is not a valid key (1-200 of A-Z a-z 0-9 _ . : / # -, not all digits)");
        return key;
    }

    /// <summary>Dependencies: positive job ids (as digits; YAML numbers accepted) or keys, de-duplicated in order.</summary>
    private static List<string> After(SpecReader r, string? ownKey)
    {
        var items = r.StringList("after", digitsAsText: true) ?? [];
        if (items.Count > SpecGrammar.MaxAfter)
            throw r.Error("after", $"{items.Count} dependencies exceed the limit of {SpecGrammar.MaxAfter}");
        var result = new List<string>();
        foreach (var item in items)
        {
            string dep;
            if (SpecGrammar.IsAllDigits(item))
            {
                if (!long.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id <= 0)
                    throw r.Error("after", $"{SpecGrammar.Quote(item)} is not a positive job id");
                dep = id.ToString(CultureInfo.InvariantCulture);
            }
            else if (SpecGrammar.Key().IsMatch(item))
            {
                if (item == ownKey)
                    throw r.Error("after", $"{SpecGrammar.Quote(item)} is this job's own key (a job cannot depend on itself)");
                dep = item;
            }
            else
            {
                throw r.Error("after", $"{SpecGrammar.Quote(item)} is neither a job id nor a valid key");
            }

            if (!result.Contains(dep))
                result.Add(dep);
        }

        return result;
    }

    /// <summary><c>none</c> → no lock; default: the repo path for a plain directory, none for a git checkout (its worktrees isolate jobs).</summary>
    private static string? Lock(SpecReader r, string repo, SpecParseContext ctx)
    {
        var given = NonEmpty(r, "lock", multiline: false);
        if (given == "none")
            return null;
        if (given is not null)
        {
            if (SpecGrammar.CharCount(given) > SpecGrammar.MaxLock)
                throw r.Error("lock", $"longer than {SpecGrammar.MaxLock} characters");
            return given;
        }

        // A URL repo runs in worktrees of a mirror: its jobs are isolated like a local checkout's.
        if (Workspaces.RepoUrl.IsUrl(repo))
            return null;
        return !ctx.Trusted && IsGitCheckout(repo) ? null : $"repo:{repo}";
    }

    private static bool IsGitCheckout(string dir)
    {
        for (var d = new DirectoryInfo(dir); d is not null; d = d.Parent)
        {
            var git = Path.Combine(d.FullName, ".git");
            if (Directory.Exists(git) || File.Exists(git))
                return true;
        }

        return false;
    }

    private static int Priority(SpecReader r)
    {
        var node = r.Node("priority");
        if (node?.GetValueKind() == JsonValueKind.String)
        {
            var text = r.String("priority")!;
            foreach (var (name, value) in PriorityNames)
            {
                if (name == text)
                    return value;
            }

            if (SpecGrammar.IsAllDigits(text) && text.Length <= 3 && int.Parse(text, CultureInfo.InvariantCulture) <= 100)
                return int.Parse(text, CultureInfo.InvariantCulture);
            throw r.Error("priority", $"{SpecGrammar.Quote(text)} is not a priority (critical, high, medium, low, or 0-100)");
        }

        if (node is not null && node.GetValueKind() != JsonValueKind.Number)
            throw r.Error("priority", $"expected a priority name or an integer 0-100, got {SpecReader.Kind(node)}");
        return (int)(r.Integer("priority", 0, 100) ?? 50);
    }

    private static List<string> Capabilities(SpecReader r)
    {
        var caps = r.StringList("capabilities") ?? [];
        foreach (var cap in caps)
        {
            if (!SpecGrammar.Capability().IsMatch(cap))
                throw r.Error("capabilities", $"{SpecGrammar.Quote(cap)} is not a capability (a tag like os:linux, or name OP version like node>=20)");
        }

        return caps;
    }

    private static RetryPolicy Retry(SpecReader? r)
    {
        var d = RetryPolicy.Default;
        if (r is null)
            return d;
        var on = r.StringList("on");
        foreach (var cls in on ?? [])
        {
            if (!FailureClass.All.Contains(cls))
                throw r.Error("on", $"{SpecGrammar.Quote(cls)} is not a failure class ({string.Join(", ", FailureClass.All.Order(StringComparer.Ordinal))})");
        }

        return new RetryPolicy(
            (int)(r.Integer("max_attempts", 1, 100) ?? d.MaxAttempts),
            r.Duration("backoff") ?? d.Backoff,
            r.Duration("max_backoff") ?? d.MaxBackoff,
            on?.Distinct(StringComparer.Ordinal).ToList() ?? d.On);
    }

    private static Budget? Budget(SpecReader? r)
    {
        if (r is null)
            return null;
        var usd = r.Number("usd", 0, SpecGrammar.MaxUsd);
        var tokens = r.Integer("tokens", 0, long.MaxValue);
        return usd is null && tokens is null ? null : new Budget(usd, tokens);
    }

    private static List<string> AllowedPaths(SpecReader r)
    {
        var globs = r.StringList("allowed_paths") ?? [];
        foreach (var glob in globs)
        {
            if (glob.Trim().Length == 0)
                throw r.Error("allowed_paths", "globs must not be empty");
            if (glob.StartsWith('/') || glob.StartsWith('\\') || glob.StartsWith('~') || (glob.Length >= 2 && glob[1] == ':' && char.IsAsciiLetter(glob[0])))
                throw r.Error("allowed_paths", $"{SpecGrammar.Quote(glob)} must be relative to the repo");
            if (SpecGrammar.HasDotDot(glob))
                throw r.Error("allowed_paths", $"{SpecGrammar.Quote(glob)} must not contain \"..\" segments");
        }

        return globs;
    }

    private static SortedDictionary<string, string> Labels(SpecReader r)
    {
        var labels = r.StringMap("labels") ?? new(StringComparer.Ordinal);
        if (labels.Count > SpecGrammar.MaxLabels)
            throw r.Error("labels", $"{labels.Count} labels exceed the limit of {SpecGrammar.MaxLabels}");
        foreach (var (key, value) in labels)
        {
            if (!SpecGrammar.LabelKey().IsMatch(key))
                throw r.Error("labels", $"key {SpecGrammar.Quote(key)} is not valid (1-63 of A-Z a-z 0-9 _ . / -)");
            if (SpecGrammar.CharCount(value) > SpecGrammar.MaxLabelValue)
                throw r.Error("labels", $"value of {SpecGrammar.Quote(key)} is longer than {SpecGrammar.MaxLabelValue} characters");
        }

        return labels;
    }

    private static string? Tracker(SpecReader r)
    {
        var tracker = r.String("tracker");
        if (tracker is not null && (!SpecGrammar.Tracker().IsMatch(tracker) || tracker.Length > SpecGrammar.MaxShortText))
            throw r.Error("tracker", $"{SpecGrammar.Quote(tracker)} is not a tracker reference (like github:owner/repo#123)");
        return tracker;
    }

    private static SortedDictionary<string, string> Env(SpecReader r)
    {
        var env = r.StringMap("env") ?? new(StringComparer.Ordinal);
        if (env.Count > SpecGrammar.MaxEnv)
            throw r.Error("env", $"{env.Count} variables exceed the limit of {SpecGrammar.MaxEnv}");
        foreach (var (name, value) in env)
        {
            CheckVariableName(r, "env", name);
            if (Encoding.UTF8.GetByteCount(value) is var bytes && bytes > SpecGrammar.MaxEnvValueBytes)
                throw r.Error("env", $"{name}: {bytes} bytes exceeds the 32 KiB limit per value ({SpecGrammar.MaxEnvValueBytes} bytes)");
        }

        return env;
    }

    private static List<string> Secrets(SpecReader r)
    {
        var secrets = r.StringList("secrets") ?? [];
        foreach (var name in secrets)
            CheckVariableName(r, "secrets", name);
        return secrets.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Environment names; DROVER_* is reserved for what the worker itself exports (SPEC §7).</summary>
    private static void CheckVariableName(SpecReader r, string field, string name)
    {
        if (!SpecGrammar.EnvName().IsMatch(name))
            throw r.Error(field, $"{SpecGrammar.Quote(name)} is not a valid environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
        if (name.StartsWith("DROVER_", StringComparison.OrdinalIgnoreCase))
            throw r.Error(field, $"{SpecGrammar.Quote(name)} is reserved (DROVER_* names are set by the worker)");
    }
}
