using System.Text.Json;
using Drover.Cli.Client;
using Drover.Core;
using Drover.Core.Configuration;
using Drover.Core.Specs;
using Drover.Core.Storage;
using Drover.Engines.Agents;
using Drover.Engines.Attempts;
using Drover.Engines.Workspaces;
using Drover.Server.Hosting;
using Drover.Server.Jobs;
using Drover.Storage.Sqlite;
using Microsoft.Extensions.Logging;

namespace Drover.Cli;

/// <summary>Composes what a command needs: home, config, store, service, runner.</summary>
public sealed class Runtime : IAsyncDisposable
{
    private Runtime(DroverHome home, DroverConfig config, IJobStore store, JobService jobs)
    {
        Home = home;
        Config = config;
        Store = store;
        Jobs = jobs;
    }

    public DroverHome Home { get; }
    public DroverConfig Config { get; }
    public IJobStore Store { get; }
    public JobService Jobs { get; }

    public static Task<DroverConfig> LoadConfigAsync(DroverHome home, CancellationToken ct) => DroverConfigLoader.LoadAsync(home.Root, ct);

    /// <summary>Opens the store named by --store (default sqlite in the home) and the service over it.</summary>
    public static async Task<Runtime> OpenAsync(GlobalOptions.Settings s, CancellationToken ct)
    {
        var home = DroverHome.Resolve(s.Home);
        home.EnsureCreated();
        var config = await LoadConfigAsync(home, ct);
        var store = await OpenStoreAsync(home, s.Store, ct);
        var jobs = new JobService(
            store,
            new GitRepoInspector(mirrors: Mirrors(config, home)),
            config.SpecContext,
            home,
            TimeProvider.System,
            config.Worker.Heartbeat * 3,
            config.Providers,
            config.Report,
            config.Budgets,
            config.Fleet);
        // Without a serve, `drover tracker sync` polls from this process.
        _ = Server.Trackers.TrackerHosting.Create(config, store, jobs, home.SecretsPath, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, Forges(config, home));
        return new Runtime(home, config, store, jobs);
    }

    public static async Task<IJobStore> OpenStoreAsync(DroverHome home, string? url, CancellationToken ct, bool migrate = true)
    {
        string path;
        if (string.IsNullOrEmpty(url))
            path = home.DatabasePath;
        else if (url.StartsWith("sqlite:", StringComparison.Ordinal))
            path = Path.GetFullPath(url["sqlite:".Length..]);
        else if (url.StartsWith("postgres://", StringComparison.Ordinal) || url.StartsWith("postgresql://", StringComparison.Ordinal))
            return await OpenPostgresAsync(url, migrate, ct);
        else
            throw new JobSpecException("store", $"unknown store URL \"{url}\" (expected sqlite:<path> or postgres://user@host:port/db)");

        var store = new SqliteJobStore(new SqliteStoreOptions { Path = path });
        if (migrate)
            await store.MigrateAsync(ct);
        return store;
    }

    private static async Task<IJobStore> OpenPostgresAsync(string url, bool migrate, CancellationToken ct)
    {
        // The store's statements run synchronously on the calling thread (the rules are shared with SQLite): give the
        // thread pool enough threads up front that callers blocked on the database do not starve the rest.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), io);
        try
        {
            return migrate ? await Drover.Storage.Postgres.PostgresJobStore.OpenAsync(url, ct) : new Drover.Storage.Postgres.PostgresJobStore(url);
        }
        catch (Exception e) when (e is UriFormatException or ArgumentException)
        {
            throw new JobSpecException("store", $"not a usable postgres:// URL: {e.Message}");
        }
    }

    public static IAttemptRunner CreateRunner(ILoggerFactory logs, DroverConfig config, DroverHome home) =>
        new ShellAttemptRunner(
            logs.CreateLogger<ShellAttemptRunner>(), drivers: EngineDrivers.All(config.Engines, config.Approvals), prices: config.Prices,
            secrets: new Drover.Core.Secrets.SecretStore(home.SecretsPath),
            gateway: config.Gateway.Enabled
                ? new GatewayAccess(() => DiscoverServer(home), home.EnsureToken(), config.Providers.Select(p => p.Kind).ToHashSet(StringComparer.Ordinal))
                : null,
            sandbox: Sandbox(config, home),
            workspaces: new GitWorkspaces(logs.CreateLogger<GitWorkspaces>(), Mirrors(config, home)));

    /// <summary>
    /// The deliverer of this home's succeeded jobs (SPEC §12): pushes with Drover's own git and the [[forges]] tokens,
    /// pull requests through each forge's API. One forge client per host for the process, so rate limits are shared.
    /// </summary>
    public static Drover.Server.Delivery.Deliverer CreateDeliverer(ILoggerFactory logs, DroverConfig config, DroverHome home, IJobStore store)
    {
        var secrets = new Drover.Core.Secrets.SecretStore(home.SecretsPath);
        var forges = Forges(config, home);
        return new Drover.Server.Delivery.Deliverer(
            store, config.Delivery, config.Forges,
            new BranchPush(new RemoteGit(config.Forges, secrets), logs.CreateLogger<BranchPush>()),
            home.Root, Drover.Server.Delivery.Deliverer.HostOf(home.Root), f => forges.For(f.Host), TimeProvider.System,
            logs.CreateLogger<Drover.Server.Delivery.Deliverer>());
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Drover.Server.Forges.ForgeClients> ForgeClientsByHome = new(StringComparer.Ordinal);

    /// <summary>This process's forge clients for a home (built once: their rate-limit state is shared by every caller).</summary>
    public static Drover.Server.Forges.ForgeClients Forges(DroverConfig config, DroverHome home) =>
        ForgeClientsByHome.GetOrAdd(home.Root, _ => new Drover.Server.Forges.ForgeClients(
            config.Forges, new Drover.Core.Secrets.SecretStore(home.SecretsPath), TimeProvider.System));

    /// <summary>This home's mirrors of URL repos, fetching with the [[forges]] tokens from its secret store.</summary>
    public static RepoMirrors Mirrors(DroverConfig config, DroverHome home) =>
        new(new RemoteGit(config.Forges, new Drover.Core.Secrets.SecretStore(home.SecretsPath)));

    /// <summary><c>sandbox</c> when this host confines its attempts, so a job can ask for <c>capabilities: ["sandbox"]</c>.</summary>
    public static IReadOnlyList<string> SandboxCapabilities(DroverConfig config, DroverHome home) =>
        Sandbox(config, home).Confines ? ["sandbox"] : [];

    /// <summary>One line for serve's start: whether attempts here are confined, and if not why.</summary>
    public static string SandboxSummary(DroverConfig config, DroverHome home) => Sandbox(config, home) switch
    {
        { Config.Mode: Core.Configuration.SandboxMode.Off } => "sandbox off: agents run unconfined ([sandbox] mode = \"off\")",
        { ClaimGate: { } gate } => gate,
        { Unavailable: { } why } => $"sandbox unavailable, attempts run unconfined: {why}",
        _ => "attempts run confined in bubblewrap (see drover doctor)",
    };

    /// <summary>How this host confines attempts (bubblewrap is probed once per process).</summary>
    public static Drover.Engines.Sandbox.AttemptSandbox Sandbox(DroverConfig config, DroverHome home) =>
        Drover.Engines.Sandbox.AttemptSandbox.ForHost(config.Sandbox, home.Root, config.Gateway.Enabled ? home.GatewaySocketPath : null);

    /// <summary>engine:&lt;name&gt; (and =&lt;version&gt;) for every agent CLI this machine has, so jobs naming it can be claimed here.</summary>
    public static async Task<IReadOnlyList<string>> DetectedEngineCapabilitiesAsync(DroverConfig config, CancellationToken ct) =>
        [.. (await EngineDrivers.DetectAsync(config.Engines, ct)).SelectMany(e => e.Capabilities)];

    public ValueTask DisposeAsync() => Store.DisposeAsync();

    /// <summary>
    /// The API to use: --url, else a live `serve` of this home (server.json), else the store directly.
    /// The home's drover.toml is read first on every path, so a broken one is an error (naming file and key)
    /// rather than silently ignored. With <paramref name="requireHome"/> (every command but submit), a home
    /// that holds neither drover.db nor drover.toml is an error instead of a new empty store.
    /// </summary>
    public static async Task<(IDroverApi Api, IAsyncDisposable Owner)> ConnectAsync(GlobalOptions.Settings s, CancellationToken ct, bool requireHome = true)
    {
        var home = DroverHome.Resolve(s.Home);
        if (requireHome && s.Url is null && s.Store is null && !File.Exists(home.DatabasePath) && !File.Exists(home.ConfigPath))
            throw new HomeMissingException($"no Drover home at {home.Root} (run drover init, or check --home)");
        var config = await LoadConfigAsync(home, ct);
        var trusted = ServerCertificate(home, config.Server);
        if (s.Url is { } url)
        {
            var http = new HttpDroverApi(url, s.Token ?? home.ReadToken(), trusted);
            return (http, new Disposer(http.Dispose));
        }

        if (s.Store is null && DiscoverServer(home) is { } found)
        {
            var http = new HttpDroverApi(found, s.Token ?? home.ReadToken(), trusted);
            if (await http.IsHealthyAsync(ct))
                return (http, new Disposer(http.Dispose));
            http.Dispose();
        }

        var rt = await OpenAsync(s, ct);
        return (rt.Jobs, rt);
    }

    /// <summary>The certificate this home's `serve` presents under TLS, to trust when talking to it; null without TLS.</summary>
    private static System.Security.Cryptography.X509Certificates.X509Certificate2? ServerCertificate(DroverHome home, ServerConfig server)
    {
        if (server.TlsCert is not { } cert)
            return null;
        try
        {
            return System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(Path.GetFullPath(cert, home.Root)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }

    /// <summary>The URL in a live `serve`'s server.json of this home; null when none runs.</summary>
    public static string? DiscoverServer(DroverHome home)
    {
        try
        {
            if (!File.Exists(home.ServerInfoPath))
                return null;
            using var doc = JsonDocument.Parse(File.ReadAllText(home.ServerInfoPath));
            var pid = doc.RootElement.GetProperty("pid").GetInt32();
            if (!Directory.Exists($"/proc/{pid}") && !OperatingSystem.IsMacOS())
                return null;
            return doc.RootElement.GetProperty("url").GetString();
        }
        catch (Exception ex) when (ex is IOException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    private sealed class Disposer(Action dispose) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            dispose();
            return ValueTask.CompletedTask;
        }
    }
}
