using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Unicode;

namespace Drover.Core.Specs;

/// <summary>
/// The canonical JSON form of a <see cref="JobSpec"/>: what is stored, hashed for idempotency and
/// shown as <c>spec</c> in the API. It is itself a valid spec: snake_case keys in a fixed order,
/// durations in seconds, every key present (absent values as <c>null</c>, no lock as <c>"none"</c>),
/// so re-parsing it gives an equal spec whatever profiles say, and equal specs hash equal.
/// </summary>
public static class JobSpecJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // Non-ASCII text stays readable; HTML-sensitive characters are still escaped.
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower), new SecondsConverter(), new SpecConverter() },
        WriteIndented = false,
    };

    public static string Serialize(JobSpec spec) => JsonSerializer.Serialize(spec, Options);

    /// <summary>Reads canonical JSON back. Stored specs are trusted: profiles and the disk are not consulted.</summary>
    public static JobSpec Deserialize(string json) =>
        JsonSerializer.Deserialize<JobSpec>(json, Options) ?? throw new JsonException("spec JSON is null");

    /// <summary>Hex SHA-256 of the canonical JSON.</summary>
    public static string Hash(string canonicalJson) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalJson)));

    /// <summary>Hex SHA-256 of the spec's canonical JSON: equal specs give equal hashes.</summary>
    public static string Hash(JobSpec spec) => Hash(Serialize(spec));

    private static void Write(Utf8JsonWriter w, JobSpec s)
    {
        w.WriteStartObject();
        w.WriteString("title", s.Title);
        w.WriteString("prompt", s.Prompt);
        WriteNullable(w, "engine", s.Engine.Length == 0 ? null : s.Engine);
        WriteNullable(w, "engine_class", s.EngineClass);
        WriteList(w, "prefers", s.Prefers);
        if (s.CommandArgv is not null)
            WriteList(w, "command", s.CommandArgv);
        else
            WriteNullable(w, "command", s.CommandLine);
        WriteNullable(w, "model", s.Model);
        w.WriteString("repo", s.Repo);
        WriteNullable(w, "base", s.Base);
        w.WriteNumber("priority", s.Priority);
        WriteList(w, "capabilities", s.Capabilities);
        WriteNullable(w, "key", s.Key);
        WriteList(w, "after", s.After);
        w.WriteString("deps_mode", s.DepsMode == DepsMode.Hard ? "hard" : "soft");
        w.WriteString("lock", s.Lock ?? "none");
        WriteSeconds(w, "timeout", s.Timeout);
        WriteSeconds(w, "stall_timeout", s.StallTimeout);
        w.WriteStartObject("retry");
        w.WriteNumber("max_attempts", s.Retry.MaxAttempts);
        WriteSeconds(w, "backoff", s.Retry.Backoff);
        WriteSeconds(w, "max_backoff", s.Retry.MaxBackoff);
        WriteList(w, "on", s.Retry.On);
        w.WriteEndObject();
        WriteBudget(w, s.Budget);
        WriteNullable(w, "verify", s.Verify);
        WriteNullable(w, "persona", s.Persona);
        w.WriteBoolean("expect_changes", s.ExpectChanges);
        WriteList(w, "allowed_paths", s.AllowedPaths);
        w.WriteString("scope_policy", s.ScopePolicy == ScopePolicy.Warn ? "warn" : "enforce");
        if (s.Network is { } network)
            w.WriteString("network", Configuration.SandboxConfig.Name(network));
        w.WriteString("review", s.Review == ReviewMode.Auto ? "auto" : "human");
        w.WriteString("profile", s.Profile);
        WriteMap(w, "labels", s.Labels);
        WriteNullable(w, "tracker", s.Tracker);
        WriteMap(w, "env", s.Env);
        WriteList(w, "secrets", s.Secrets);
        // Written only when given, so specs stored before approvals existed keep their idempotency hash.
        if (s.Approvals.Count > 0)
            WriteList(w, "approvals", s.Approvals);
        if (s.Deliver != DeliverMode.None)
            w.WriteString("deliver", DeliverName(s.Deliver));
        if (s.DeliverDraftOnFailure)
            w.WriteString("deliver_on_failure", "draft");
        if (s.DeliverBranch is { } deliverBranch)
            w.WriteString("deliver_branch", deliverBranch);
        if (s.Automerge)
            w.WriteBoolean("automerge", true);
        w.WriteEndObject();
    }

    /// <summary>The spec's spelling of a delivery mode.</summary>
    public static string DeliverName(DeliverMode mode) => mode switch
    {
        DeliverMode.Push => "push",
        DeliverMode.Pr => "pr",
        DeliverMode.PrDraft => "pr_draft",
        _ => "none",
    };

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
            w.WriteNull(name);
        else
            w.WriteString(name, value);
    }

    private static void WriteList(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
            w.WriteStringValue(v);
        w.WriteEndArray();
    }

    /// <summary>Sorted by key (ordinal) whatever dictionary type the spec holds, so the hash is stable.</summary>
    private static void WriteMap(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, string> map)
    {
        w.WriteStartObject(name);
        foreach (var (k, v) in map.OrderBy(p => p.Key, StringComparer.Ordinal))
            w.WriteString(k, v);
        w.WriteEndObject();
    }

    private static void WriteSeconds(Utf8JsonWriter w, string name, TimeSpan value)
    {
        var seconds = value.TotalSeconds;
        if (seconds == Math.Floor(seconds) && Math.Abs(seconds) < 1e15)
            w.WriteNumber(name, (long)seconds);
        else
            w.WriteNumber(name, seconds);
    }

    private static void WriteBudget(Utf8JsonWriter w, Budget? budget)
    {
        if (budget is null)
        {
            w.WriteNull("budget");
            return;
        }

        w.WriteStartObject("budget");
        if (budget.Usd is { } usd)
            // 2.5 and 2.50 are the same budget: write without trailing zeros so they hash the same.
            w.WriteNumber("usd", decimal.Parse(usd.ToString("0.############################", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
        else
            w.WriteNull("usd");
        if (budget.Tokens is { } tokens)
            w.WriteNumber("tokens", tokens);
        else
            w.WriteNull("tokens");
        w.WriteEndObject();
    }

    /// <summary>Writes and reads <see cref="JobSpec"/> in canonical form wherever it appears (e.g. inside an API job).</summary>
    private sealed class SpecConverter : JsonConverter<JobSpec>
    {
        private static readonly SpecParseContext StoredContext =
            new("/", new Dictionary<string, JsonObject>(StringComparer.Ordinal)) { Trusted = true };

        public override JobSpec Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var node = JsonNode.Parse(ref reader);
            if (node is not JsonObject obj)
                throw new JsonException("spec JSON must be an object");
            return JobSpecParser.ParseObject(obj, StoredContext);
        }

        public override void Write(Utf8JsonWriter writer, JobSpec value, JsonSerializerOptions options) => JobSpecJson.Write(writer, value);
    }

    private sealed class SecondsConverter : JsonConverter<TimeSpan>
    {
        public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            TimeSpan.FromSeconds(reader.GetDouble());

        public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
            writer.WriteNumberValue(value.TotalSeconds);
    }
}
