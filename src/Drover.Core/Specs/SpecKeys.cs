using System.Text.Json.Nodes;

namespace Drover.Core.Specs;

/// <summary>
/// The spec's key set (SPEC §3): snake_case names, kebab-case aliases, unknown keys rejected, and the
/// profile merge (job &gt; profile &gt; built-in defaults).
/// </summary>
internal static class SpecKeys
{
    public static readonly IReadOnlySet<string> Top = new HashSet<string>(StringComparer.Ordinal)
    {
        "title", "prompt", "persona", "engine", "engine_class", "prefers", "command", "model", "repo", "base",
        "priority", "capabilities", "key", "after", "deps_mode", "lock", "timeout", "stall_timeout",
        "retry", "budget", "verify", "expect_changes", "allowed_paths", "scope_policy", "review", "profile", "labels",
        "tracker", "env", "secrets", "network", "approvals", "deliver", "deliver_on_failure", "deliver_branch", "automerge",
    };

    public static readonly IReadOnlySet<string> Retry = new HashSet<string>(StringComparer.Ordinal)
    {
        "max_attempts", "backoff", "max_backoff", "on",
    };

    public static readonly IReadOnlySet<string> Budget = new HashSet<string>(StringComparer.Ordinal) { "usd", "tokens" };

    /// <summary>
    /// Copies <paramref name="raw"/> with every key in its snake_case spelling (also inside <c>retry</c>
    /// and <c>budget</c>; <c>labels</c> and <c>env</c> keys are user data and kept as given).
    /// Unknown or doubly given keys throw naming the key.
    /// </summary>
    public static JsonObject Normalize(JsonObject raw, string? prefix = null)
    {
        var known = prefix switch { null => Top, "retry" => Retry, _ => Budget };
        var result = new JsonObject();
        var errors = new SpecErrors();
        foreach (var (given, value) in raw)
        {
            var name = given.Replace('-', '_');
            var path = prefix is null ? given : $"{prefix}.{given}";
            if (!known.Contains(name))
            {
                errors.Add(new JobSpecException(path, $"unknown key {SpecGrammar.Quote(path)}"));
                continue;
            }

            var canonical = prefix is null ? name : $"{prefix}.{name}";
            if (result.ContainsKey(name))
            {
                errors.Add(new JobSpecException(canonical, $"{canonical}: given more than once (snake_case and kebab-case spellings of the same key)"));
                continue;
            }

            var copy = value?.DeepClone();
            if (prefix is null && name is "retry" or "budget" && copy is JsonObject nested)
                copy = errors.Try(() => Normalize(nested, name), nested);
            result[name] = copy;
        }

        errors.ThrowIfAny();
        return result;
    }

    /// <summary>
    /// Overlays <paramref name="job"/> on <paramref name="profile"/> (both normalized). Objects merge
    /// key by key (<c>retry</c>, <c>budget</c>, <c>labels</c>, <c>env</c>); anything else the job gives
    /// wins whole, except <c>approvals</c>, which the job adds to the profile's. A job's explicit <c>null</c> clears the profile's value (built-in default applies).
    /// </summary>
    public static JsonObject Merge(JsonObject profile, JsonObject job)
    {
        var result = (JsonObject)profile.DeepClone();
        foreach (var (name, value) in job)
        {
            if (value is JsonObject jobObj && result[name] is JsonObject profObj)
                result[name] = Merge(profObj, jobObj);
            else if (name == "approvals" && value is JsonArray jobRules && result[name] is JsonArray profRules)
                result[name] = new JsonArray([.. profRules.Select(n => n?.DeepClone()), .. jobRules.Select(n => n?.DeepClone())]); // a job adds to its profile's rules
            else
                result[name] = value?.DeepClone();
        }

        return result;
    }

    /// <summary>Drops null values: after the merge, null means "not given".</summary>
    public static JsonObject WithoutNulls(JsonObject obj)
    {
        var result = new JsonObject();
        foreach (var (name, value) in obj)
        {
            if (value is not null)
                result[name] = value.DeepClone();
        }

        return result;
    }
}
