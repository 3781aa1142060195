using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Drover.Core.Specs;
using Tomlyn;
using Tomlyn.Model;
using Tomlyn.Parsing;
using Tomlyn.Serialization;

namespace Drover.Core.Configuration;

/// <summary>Reads <c>&lt;home&gt;/drover.toml</c> into a <see cref="DroverConfig"/>, rejecting unknown keys with their location.</summary>
public static partial class DroverConfigLoader
{
    public const string FileName = "drover.toml";

    private static readonly string[] ReservedSections = [];
    private static readonly string[] UsageParsers = ["drover", "claude", "codex", "opencode", "qwen", "none"];

    [GeneratedRegex(@"^\s*(\d+)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex Size();

    /// <summary>Loads <c>&lt;home&gt;/drover.toml</c>; a missing file gives <see cref="DroverConfig.Default"/>.</summary>
    public static async Task<DroverConfig> LoadAsync(string home, CancellationToken ct)
    {
        var path = Path.Combine(home, FileName);
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, ct);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return DroverConfig.Default;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DroverConfigException($"{path}: cannot read: {e.Message}", e);
        }

        return Parse(text, path);
    }

    /// <summary>Parses TOML text; <paramref name="source"/> names it in error messages.</summary>
    public static DroverConfig Parse(string toml, string source = FileName)
    {
        ArgumentNullException.ThrowIfNull(toml);
        var metadata = new TomlMetadataStore();
        var options = new TomlSerializerOptions
        {
            MetadataStore = metadata,
            SourceName = source,
            DuplicateKeyHandling = TomlDuplicateKeyHandling.Error,
        };
        TomlTable table;
        try
        {
            // The syntax pass validates the whole document (duplicate keys and tables included), which
            // deserializing into a TomlTable alone does not.
            SyntaxParser.ParseStrict(toml, source, true);
            table = TomlSerializer.Deserialize<TomlTable>(toml, options) ?? [];
        }
        catch (TomlException e)
        {
            throw new DroverConfigException($"{source}:{e.Line}: invalid TOML: {e.Message}", e);
        }

        var root = new TomlSection(table, "", source, metadata);
        root.AllowOnly(["server", "worker", "fleet", "engines", "prices", "profiles", "gateway", "providers", "routes", "budgets", "gc", "alerts", "report", "workspaces", "sandbox", "approvals", "schedules", "forges", "webhooks", "trackers", "delivery", "proposals", .. ReservedSections]);
        var reserved = new TomlTable();
        foreach (var name in ReservedSections)
        {
            if (table.TryGetValue(name, out var value))
                reserved[name] = value;
        }

        var providers = Providers(table, source, metadata);
        var forges = Forges(table, source, metadata);
        var profiles = Profiles(root.Section("profiles"));
        return new DroverConfig
        {
            Server = Server(root.Section("server")),
            Worker = Worker(root.Section("worker")),
            Fleet = Fleet(root.Section("fleet")),
            Gc = Gc(root.Section("gc")),
            Workspaces = Workspaces(root.Section("workspaces")),
            Sandbox = Sandbox(root.Section("sandbox")),
            Alerts = Alerts(root.Section("alerts")),
            Engines = Engines(root.Section("engines")),
            Prices = Prices(root.Section("prices")),
            Gateway = Gateway(root.Section("gateway")),
            Providers = providers,
            Routes = Routes(root.Section("routes"), providers),
            Budgets = Budgets(root.Section("budgets")),
            Report = Report(root.Section("report")),
            Approvals = Approvals(root.Section("approvals")),
            Forges = forges,
            Webhooks = Webhooks(root.Section("webhooks")),
            Delivery = Delivery(root.Section("delivery")),
            Trackers = Trackers(table, source, metadata, forges),
            Proposals = Proposals(root.Section("proposals")),
            Profiles = profiles,
            Schedules = Schedules(table, source, metadata, profiles),
            Reserved = reserved,
            Source = source,
        };
    }

    private static ServerConfig Server(TomlSection? s)
    {
        var d = new ServerConfig();
        if (s is null)
            return d;
        s.AllowOnly("bind", "port", "max_streams", "tls_cert", "tls_key");
        var bind = s.String("bind");
        if (bind is not null && !System.Net.IPAddress.TryParse(bind, out _) && bind != "localhost")
            throw s.Error("bind", $"{SpecGrammar.Quote(bind)} is not an IP address (or localhost)");
        var (cert, key) = (s.String("tls_cert"), s.String("tls_key"));
        if ((cert is null) != (key is null))
            throw s.Error(cert is null ? "tls_cert" : "tls_key", "tls_cert and tls_key go together: set both (PEM files) or neither");
        return new ServerConfig
        {
            Bind = bind ?? d.Bind,
            Port = (int)(s.Integer("port", 1, 65535) ?? d.Port),
            MaxStreams = (int)(s.Integer("max_streams", 1, 100_000) ?? d.MaxStreams),
            TlsCert = cert,
            TlsKey = key,
        };
    }

    private static WorkerConfig Worker(TomlSection? s)
    {
        var d = new WorkerConfig();
        if (s is null)
            return d;
        s.AllowOnly("name", "slots", "lease_ttl", "heartbeat", "kill_grace", "capabilities");
        var name = s.String("name");
        if (name is not null && (name.Length is 0 or > 64 || name.Any(char.IsWhiteSpace)))
            throw s.Error("name", "must be 1-64 characters without spaces");
        var caps = s.StringList("capabilities");
        foreach (var cap in caps ?? [])
        {
            if (!SpecGrammar.Capability().IsMatch(cap))
                throw s.Error("capabilities", $"{SpecGrammar.Quote(cap)} is not a capability (os:linux, node=20.11.1)");
        }

        var second = TimeSpan.FromSeconds(1);
        var hour = TimeSpan.FromHours(1);
        return new WorkerConfig
        {
            Name = name,
            Slots = (int)(s.Integer("slots", 0, 1024) ?? d.Slots),
            LeaseTtl = s.Duration("lease_ttl", second, hour) ?? d.LeaseTtl,
            Heartbeat = s.Duration("heartbeat", second, hour) ?? d.Heartbeat,
            KillGrace = s.Duration("kill_grace", TimeSpan.Zero, hour) ?? d.KillGrace,
            Capabilities = caps ?? d.Capabilities,
        };
    }

    private static GcConfig Gc(TomlSection? s)
    {
        var d = new GcConfig();
        if (s is null)
            return d;
        s.AllowOnly("retention", "batch");
        return new GcConfig
        {
            Retention = s.Duration("retention", TimeSpan.FromMinutes(1), TimeSpan.FromDays(3650)) ?? d.Retention,
            Batch = (int)(s.Integer("batch", 1, 100_000) ?? d.Batch),
        };
    }

    private static FleetConfig Fleet(TomlSection? s)
    {
        if (s is null)
            return new FleetConfig();
        s.AllowOnly("max_running", "min_free_memory", "min_free_disk", "no_engine_after");
        return new FleetConfig
        {
            MaxRunning = (int)(s.Integer("max_running", 0, 1_000_000) ?? 0),
            MinFreeMemoryBytes = MemorySize(s, "min_free_memory"),
            MinFreeDiskBytes = s.Table.ContainsKey("min_free_disk") ? MemorySize(s, "min_free_disk") : new FleetConfig().MinFreeDiskBytes,
            NoEngineAfter = s.Duration("no_engine_after", TimeSpan.Zero, TimeSpan.FromDays(30)) ?? new FleetConfig().NoEngineAfter,
        };
    }

    /// <summary>Bytes from <c>"0"</c>, <c>"512MB"</c>, <c>"2G"</c> or an integer; K/M/G/T are binary (1024) multiples.</summary>
    private static long MemorySize(TomlSection s, string key)
    {
        if (!s.Table.TryGetValue(key, out var value))
            return 0;
        if (value is long n && n >= 0)
            return n;
        var m = value is string text ? Size().Match(text) : null;
        if (m is null || !m.Success)
            throw s.Error(key, "expected a size like \"0\", \"512MB\" or \"2GB\"");
        var shift = char.ToLowerInvariant(m.Groups[2].Value.FirstOrDefault('b')) switch
        {
            'k' => 10,
            'm' => 20,
            'g' => 30,
            't' => 40,
            _ => 0,
        };
        if (!long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number > long.MaxValue >> shift)
            throw s.Error(key, "is too large");
        return number << shift;
    }

    private static SortedDictionary<string, EngineConfig> Engines(TomlSection? s)
    {
        var result = new SortedDictionary<string, EngineConfig>(StringComparer.Ordinal);
        foreach (var (name, e) in s?.Sections() ?? [])
        {
            if (!SpecGrammar.EngineName().IsMatch(name))
                throw s!.Error(name, "is not a valid engine name ([a-z][a-z0-9_-]{0,31})");
            e.AllowOnly("path", "args", "env", "model", "max_concurrency", "command", "usage", "gateway");
            var usage = e.String("usage");
            if (usage is not null && !UsageParsers.Contains(usage, StringComparer.Ordinal))
                throw e.Error("usage", $"{SpecGrammar.Quote(usage)} is not one of {string.Join(", ", UsageParsers)}");
            var command = e.StringList("command");
            if (command is { Count: 0 } || command?[0].Length == 0)
                throw e.Error("command", "must not be empty (the first element is the program)");
            if (command is not null && name == "shell")
                throw e.Error("command", "the shell engine takes its command from each job");
            if (usage is not null && command is null)
                throw e.Error("usage", "only applies to a custom engine (one with a command)");
            result[name] = new EngineConfig
            {
                Path = e.String("path"),
                Args = e.StringList("args") ?? [],
                Env = e.StringMap("env") ?? new(StringComparer.Ordinal),
                Model = e.String("model"),
                MaxConcurrency = (int?)e.Integer("max_concurrency", 0, 10_000),
                Gateway = e.Bool("gateway"),
                Command = command,
                Usage = usage,
            };
        }

        return result;
    }

    private static GatewayConfig Gateway(TomlSection? s)
    {
        var d = new GatewayConfig();
        if (s is null)
            return d;
        s.AllowOnly("enabled", "first_byte_timeout", "idle_timeout", "max_retry_after", "health_interval");
        var second = TimeSpan.FromSeconds(1);
        return new GatewayConfig
        {
            Enabled = s.Bool("enabled") ?? d.Enabled,
            FirstByteTimeout = s.Duration("first_byte_timeout", second, TimeSpan.FromMinutes(30)) ?? d.FirstByteTimeout,
            IdleTimeout = s.Duration("idle_timeout", second, TimeSpan.FromMinutes(30)) ?? d.IdleTimeout,
            MaxRetryAfter = s.Duration("max_retry_after", TimeSpan.Zero, TimeSpan.FromMinutes(10)) ?? d.MaxRetryAfter,
            HealthInterval = s.Duration("health_interval", second, TimeSpan.FromHours(1)) ?? d.HealthInterval,
        };
    }

    /// <summary>The tables of a top-level <c>[[key]]</c> array, each named <c>key[i]</c> in errors; none when it is absent.</summary>
    private static IEnumerable<TomlSection> TableArray(TomlTable root, string key, string source, TomlMetadataStore metadata)
    {
        if (!root.TryGetValue(key, out var value))
            yield break;
        if (value is not TomlTableArray array)
            throw new TomlSection(root, "", source, metadata).Error(key, $"expected [[{key}]] tables");
        var index = 0;
        foreach (var table in array)
            yield return new TomlSection(table, $"{key}[{index++}]", source, metadata);
    }

    private static List<ProviderConfig> Providers(TomlTable root, string source, TomlMetadataStore metadata)
    {
        var result = new List<ProviderConfig>();
        foreach (var p in TableArray(root, "providers", source, metadata))
        {
            p.AllowOnly("name", "kind", "base_url", "models", "api_key_env", "api_key_secret", "rpm", "rpd", "tpm", "max_concurrent", "price",
                "max_output_tokens", "health_check");
            var name = p.String("name") ?? throw p.Error("name", "is required");
            if (!SpecGrammar.EngineName().IsMatch(name))
                throw p.Error("name", $"{SpecGrammar.Quote(name)} is not a valid provider name ([a-z][a-z0-9_-]{{0,31}})");
            if (result.Any(r => r.Name == name))
                throw p.Error("name", $"{SpecGrammar.Quote(name)} is defined twice");
            var kind = p.String("kind") ?? "openai";
            if (kind is not ("openai" or "anthropic"))
                throw p.Error("kind", $"{SpecGrammar.Quote(kind)} is not one of openai, anthropic");
            var url = p.String("base_url") ?? throw p.Error("base_url", "is required");
            if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https"))
                throw p.Error("base_url", $"{SpecGrammar.Quote(url)} is not an http(s) URL");
            var models = p.StringList("models") ?? [];
            if (models.Count == 0)
                throw p.Error("models", "must name at least one model");
            var keyEnv = p.String("api_key_env");
            var keySecret = p.String("api_key_secret");
            if (keyEnv is not null && keySecret is not null)
                throw p.Error("api_key_secret", "give api_key_env or api_key_secret, not both");
            SecretName(p, "api_key_secret", keySecret);
            ModelPrice? price = null;
            if (p.Section("price") is { } ps)
            {
                ps.AllowOnly("input", "cached_input", "cache_write", "output");
                var input = ps.Usd("input") ?? throw ps.Error("input", "is required (USD per million tokens)");
                price = new ModelPrice(input, ps.Usd("cached_input") ?? input, ps.Usd("cache_write") ?? input,
                    ps.Usd("output") ?? throw ps.Error("output", "is required (USD per million tokens)"));
            }

            result.Add(new ProviderConfig
            {
                Name = name,
                Kind = kind,
                BaseUrl = baseUrl,
                Models = models,
                ApiKeyEnv = keyEnv,
                ApiKeySecret = keySecret,
                Rpm = (int)(p.Integer("rpm", 0, 1_000_000) ?? 0),
                Rpd = (int)(p.Integer("rpd", 0, 100_000_000) ?? 0),
                Tpm = p.Integer("tpm", 0, 10_000_000_000) ?? 0,
                MaxConcurrent = (int)(p.Integer("max_concurrent", 0, 100_000) ?? 0),
                Price = price,
                MaxOutputTokens = p.Integer("max_output_tokens", 1, 10_000_000) ?? 8192,
                HealthCheck = p.Bool("health_check") ?? (baseUrl.IsLoopback || baseUrl.Host == "localhost"),
            });
        }

        return result;
    }

    private static BudgetsConfig Budgets(TomlSection? s)
    {
        if (s is null)
            return new BudgetsConfig();
        s.AllowOnly("daily_usd", "daily_tokens", "labels");
        var labels = new SortedDictionary<string, decimal>(StringComparer.Ordinal);
        if (s.Section("labels") is { } ls)
        {
            foreach (var key in ls.Table.Keys)
            {
                if (key.IndexOf('=', StringComparison.Ordinal) <= 0)
                    throw ls.Error(key, "a label budget is keyed \"key=value\" (e.g. \"team=core\" = 5.0)");
                labels[key] = ls.Usd(key, "USD per day") ?? throw ls.Error(key, "expected USD per day");
            }
        }

        return new BudgetsConfig
        {
            DailyUsd = s.Usd("daily_usd", "USD per day"),
            DailyTokens = s.Integer("daily_tokens", 1, long.MaxValue),
            Labels = labels,
        };
    }

    private static SortedDictionary<string, RouteConfig> Routes(TomlSection? s, List<ProviderConfig> providers)
    {
        var result = new SortedDictionary<string, RouteConfig>(StringComparer.Ordinal);
        foreach (var (alias, r) in s?.Sections() ?? [])
        {
            r.AllowOnly("cascade");
            var cascade = r.StringList("cascade") ?? throw r.Error("cascade", "is required (provider names, in order)");
            if (cascade.Count == 0)
                throw r.Error("cascade", "must name at least one provider");
            foreach (var name in cascade)
            {
                if (providers.All(p => p.Name != name))
                    throw r.Error("cascade", $"{SpecGrammar.Quote(name)} is not a [[providers]] name");
            }

            result[alias] = new RouteConfig(cascade);
        }

        return result;
    }

    private static SortedDictionary<string, ModelPrice> Prices(TomlSection? s)
    {
        var result = new SortedDictionary<string, ModelPrice>(StringComparer.Ordinal);
        foreach (var (model, p) in s?.Sections() ?? [])
        {
            if (model.Length is 0 or > 200 || SpecGrammar.TextProblem(model, multiline: false) is not null)
                throw s!.Error(model, "is not a model name");
            p.AllowOnly("input", "cached_input", "cache_write", "output");
            if (!p.Table.ContainsKey("input") || !p.Table.ContainsKey("output"))
                throw p.Error(p.Table.ContainsKey("input") ? "output" : "input", "is required (USD per million tokens)");
            var input = p.Usd("input")!.Value;
            result[model] = new ModelPrice(input, p.Usd("cached_input") ?? input, p.Usd("cache_write") ?? input, p.Usd("output")!.Value);
        }

        return result;
    }

    /// <summary>Profiles keep spec keys as JSON for <see cref="SpecParseContext"/>; their keys are checked now, their values at submit.</summary>
    private static SortedDictionary<string, JsonObject> Profiles(TomlSection? s)
    {
        var result = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var (name, p) in s?.Sections() ?? [])
        {
            if (!SpecGrammar.ProfileName().IsMatch(name))
                throw s!.Error(name, "is not a valid profile name (letters, digits, _ . -, at most 64)");
            var obj = (JsonObject)ToJson(p.Table)!;
            try
            {
                if (SpecKeys.Normalize(obj).ContainsKey("profile"))
                    throw p.Error("profile", "a profile cannot name another profile");
            }
            catch (JobSpecException e)
            {
                var top = (e.Field ?? "").Split('.')[0];
                throw p.Error(top, e.Message);
            }

            result[name] = obj;
        }

        return result;
    }

    private static JsonNode? ToJson(object? value) => value switch
    {
        TomlTable t => new JsonObject(t.Select(kv => KeyValuePair.Create(kv.Key, ToJson(kv.Value)))),
        TomlArray a => new JsonArray(a.Select(ToJson).ToArray()),
        string str => JsonValue.Create(str),
        long n => JsonValue.Create(n),
        double d when double.IsFinite(d) => JsonValue.Create(d),
        bool b => JsonValue.Create(b),
        null => null,
        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };
}
