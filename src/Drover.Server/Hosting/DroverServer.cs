using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Drover.Core.Storage;
using Drover.Engines.Attempts;
using Drover.Server.Alerts;
using Drover.Server.Api;
using Drover.Server.Approvals;
using Drover.Server.Dashboard;
using Drover.Server.Gateway;
using Drover.Server.Jobs;
using Drover.Server.Proposals;
using Drover.Server.Schedules;
using Drover.Server.Supervision;
using Drover.Server.Trackers;
using Drover.Server.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Drover.Server.Hosting;

/// <summary>What `drover serve` runs: the API, the reaper and local worker slots.</summary>
public sealed record ServeOptions
{
    public required DroverHome Home { get; init; }
    public required WorkerOptions Worker { get; init; }
    public string Bind { get; init; } = "127.0.0.1";

    /// <summary><c>[server] tls_cert</c>/<c>tls_key</c>: PEM paths (relative to the home) that make the API serve HTTPS.</summary>
    public string? TlsCert { get; init; }

    public string? TlsKey { get; init; }

    /// <summary>--insecure-bind: serve plain HTTP beyond loopback anyway (with a warning).</summary>
    public bool InsecureBind { get; init; }

    /// <summary>0 picks a free port (tests).</summary>
    public int Port { get; init; } = 8731;

    /// <summary>drover.toml; its <c>[gateway]</c>, <c>[[providers]]</c> and <c>[routes]</c> drive the /v1 endpoint.</summary>
    public Core.Configuration.DroverConfig? Config { get; init; }

    /// <summary>The process's forge clients, shared by delivery and the trackers (one rate-limit state per host); null: the trackers build their own.</summary>
    public Forges.ForgeClients? Forges { get; init; }

    /// <summary>Called once the API listens, with where it listens (the demo submits its jobs there).</summary>
    public Func<ServeListening, JobService, CancellationToken, Task>? OnStarted { get; init; }
}

/// <param name="Url">The base URL a client on this host uses (also in server.json).</param>
/// <param name="Shown">What to tell the operator: the bound address, or this host's name for every interface.</param>
public sealed record ServeListening(string Url, string Shown);

public static class DroverServer
{
    /// <summary>Runs until <paramref name="stopping"/> fires (SIGTERM/Ctrl-C), then drains the local worker.</summary>
    public static async Task RunAsync(ServeOptions options, IJobStore store, JobService jobs, IAttemptRunner runner, CancellationToken stopping)
    {
        using var listen = ListenPlan.Create(options.Bind, options.TlsCert, options.TlsKey, options.InsecureBind, options.Home.Root);
        var token = options.Home.EnsureToken();
        var address = listen.Address;
        EnsurePortFree(address, options.Port);
        // No appsettings.json reloading: its file watcher would watch the content root (by default the working
        // directory) recursively and wake on every file change below it, costing CPU while idle.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
            ContentRootPath = options.Home.Root,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(address, options.Port, l =>
            {
                if (listen.Certificate is { } certificate)
                    l.UseHttps(certificate);
            });
            // Plain HTTP on the socket even under TLS: it never leaves the host, and sandboxed agents reach it through
            // a relay that speaks the gateway URL they are given (http://127.0.0.1:PORT).
            if (options.Config is { Gateway.Enabled: true } && GatewaySocket(options.Home) is { } socket)
                k.ListenUnixSocket(socket);
            k.Limits.MaxRequestBodySize = 4 * 1024 * 1024;
        });
        builder.Services.Configure<HostOptions>(h =>
            h.ShutdownTimeout = options.Worker.ShutdownGrace + options.Worker.KillGrace + TimeSpan.FromSeconds(15));

        // Our own signal handling (the CLI) drives shutdown, so the host must not also stop on SIGTERM first.
        builder.Services.AddSingleton<IHostLifetime, NoSignalLifetime>();
        var sessions = new DashboardSessions(options.Home, token, TimeProvider.System);
        builder.Services.AddSingleton(sessions);

        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("drover");
        if (listen.InsecureBind)
            Log.InsecureBind(logger, address.ToString());
        if (options.Home.TightenedFrom is { } loose)
            Log.HomeTightened(logger, options.Home.Root, DroverHome.FormatMode(loose));
        app.UseMiddleware<ErrorMapping>();
        app.Use(GatewaySocketOnlyV1);
        // Never null: middleware activation cannot match a null argument to the constructor.
        Func<long, int, CancellationToken, Task<bool>> attemptRunning = options.Config is { Gateway.Enabled: true }
            ? async (job, attempt, ct) => await store.JobGetAsync(job, ct) is { State: Core.Jobs.JobState.Running } j && j.Attempt == attempt
            : (_, _, _) => Task.FromResult(false);
        app.UseMiddleware<BearerAuth>(token, attemptRunning, TimeProvider.System);
        app.MapDroverApi(jobs, options.Config?.Server.MaxStreams ?? new Core.Configuration.ServerConfig().MaxStreams);
        app.MapApprovalApi(jobs);
        app.MapScheduleApi(jobs);
        app.MapProposalApi(jobs);
        app.MapTrackerApi(jobs);
        app.MapDashboard(sessions);
        var webhookSecrets = new Core.Secrets.SecretStore(options.Home.SecretsPath);
        var intakeLog = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("drover.webhooks");
        app.MapWebhooks(options.Config?.Webhooks ?? new(), webhookSecrets,
            new IssueIntake(jobs, options.Config?.Trackers ?? [], TimeProvider.System, intakeLog),
            new FollowUps(jobs, options.Config?.Delivery ?? new(), intakeLog), store, TimeProvider.System, intakeLog);
        Func<CancellationToken, Task>? probeProviders = null;
        if (options.Config is { Gateway.Enabled: true } config)
        {
            probeProviders = app.MapGateway(config, options.Home.SecretsPath, store, TimeProvider.System);
            // Tool approvals ride on the gateway: its /v1 prefix and the attempt's key (SPEC §13).
            var secrets = new Core.Secrets.SecretStore(options.Home.SecretsPath);
            var approvalLog = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("drover.approvals");
            app.MapApprovalMcp(new ApprovalGate(store, config.Approvals, secrets.ReadAll, TimeProvider.System, approvalLog), approvalLog);
        }
        FleetMetrics.Register(store);
        app.MapMetrics("/metrics");

        try
        {
            await app.StartAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is AddressInUseException || e.InnerException is AddressInUseException)
        {
            // Taken between the check above and Kestrel's bind.
            await app.DisposeAsync();
            throw PortInUse(options.Port, e);
        }

        if (Core.Secrets.SecretsFileCheck.Problem(options.Home.SecretsPath) is { } secretsProblem)
            Log.SecretsFileUnusable(logger, secretsProblem);
        var time = TimeProvider.System;
        using var host = options.Worker.Slots > 0 ? new WorkerHost(store, runner, options.Worker, time, logger) : null;
        try
        {
            // Before serving: a worker name held by a live process stops this serve here, with nothing left behind.
            if (host is not null)
                await host.RegisterAsync(stopping);
        }
        catch
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
            throw;
        }

        var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        var listening = new ServeListening(listen.LocalUrl(bound), listen.Describe(bound));
        var url = listening.Url;
        WriteServerInfo(options.Home, url);

        // Stored, not passed per claim: every worker of the fleet, on any host, claims under the cap serve was given.
        await store.FleetSetMaxRunningAsync(new(options.Config?.Fleet.MaxRunning ?? 0, time.GetUtcNow()), stopping);
        using var reaperCts = new CancellationTokenSource();
        var reaper = new Reaper(store, options.Worker, time, logger).RunAsync(reaperCts.Token);
        var probes = probeProviders?.Invoke(reaperCts.Token) ?? Task.CompletedTask;
        var alertsConfig = options.Config?.Alerts ?? new Core.Configuration.AlertsConfig();
        using var dispatcher = new AlertDispatcher(alertsConfig, AlertSinkSecrets(options.Home), store, time, logger);
        var deliveries = dispatcher.RunAsync(reaperCts.Token);
        var monitor = new AlertMonitor(store, jobs, alertsConfig, options.Config?.Fleet.MaxRunning ?? 0, dispatcher, time, logger).RunAsync(reaperCts.Token);
        await jobs.SyncSchedulesAsync(options.Config?.Schedules ?? [], stopping);
        Log.SchedulesSynced(logger, options.Config?.Schedules.Count ?? 0);
        var schedules = new ScheduleLoop(store, jobs, time, logger).RunAsync(reaperCts.Token);
        using var trackerHosting = TrackerHosting.Create(options.Config, store, jobs, options.Home.SecretsPath, time, logger, options.Forges);
        var trackers = trackerHosting?.RunAsync($"{Environment.MachineName}:{Environment.ProcessId}", reaperCts.Token) ?? Task.CompletedTask;
        var worker = host?.RunAsync(stopping) ?? Task.CompletedTask;

        try
        {
            if (options.OnStarted is { } started)
                await started(listening, jobs, stopping);
            await Task.Delay(Timeout.Infinite, stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        finally
        {
            // Drain the local worker while the API still answers, then stop the rest.
            await worker;
            await reaperCts.CancelAsync();
            try
            {
                await reaper;
                await probes;
                await monitor;
                await deliveries;
                await schedules;
                await trackers;
            }
            catch (OperationCanceledException)
            {
            }

            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
            TryDelete(options.Home.ServerInfoPath);
        }
    }

    /// <summary>
    /// Fails with a plain message (exit 2) when another process listens on the port, before Kestrel would log its
    /// own failure. SO_REUSEADDR as Kestrel binds, so a port with only closing connections is not refused.
    /// </summary>
    private static void EnsurePortFree(IPAddress address, int port)
    {
        if (port == 0)
            return;
        using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            probe.Bind(new IPEndPoint(address, port));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw PortInUse(port, e);
        }
    }

    private static ArgumentException PortInUse(int port, Exception inner) =>
        new($"port {port.ToString(System.Globalization.CultureInfo.InvariantCulture)} is in use (use --port)", inner);

    /// <summary>A sink's URL and token from drover.toml, the environment or the secret store (read when serve starts).</summary>
    /// <summary>
    /// The gateway's Unix socket (for sandboxed attempts whose network is <c>gateway</c>), with a stale one from a killed
    /// serve removed first; null when the home's path is too long for a socket address (such attempts then fail and say so).
    /// </summary>
    private static string? GatewaySocket(DroverHome home)
    {
        var path = home.GatewaySocketPath;
        if (System.Text.Encoding.UTF8.GetByteCount(path) > 107)
        {
            Console.Error.WriteLine($"drover: {path} is too long for a Unix socket; sandboxed attempts cannot use network = \"gateway\"");
            return null;
        }

        File.Delete(path);
        return path;
    }

    /// <summary>On the gateway's Unix socket only <c>/v1</c> answers: a sandboxed agent reaches its model, not the API.</summary>
    private static Task GatewaySocketOnlyV1(Microsoft.AspNetCore.Http.HttpContext context, Func<Task> next)
    {
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpConnectionFeature>() is { LocalIpAddress: null }
            && context.Connection.LocalPort == 0
            && !context.Request.Path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.StatusCode = Microsoft.AspNetCore.Http.StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        return next();
    }

    private static Func<Core.Configuration.AlertSinkConfig, (string? Url, string? Token)> AlertSinkSecrets(DroverHome home)
    {
        var secrets = new Core.Secrets.SecretStore(home.SecretsPath);
        string? Lookup(string? env, string? name)
        {
            try
            {
                return secrets.Lookup(env, name);
            }
            catch (Core.DroverException)
            {
                return null; // a damaged secrets file (warned about at start): the sink is skipped, serve still runs
            }
        }

        return sink => (sink.Url ?? Lookup(sink.UrlEnv, sink.UrlSecret), Lookup(sink.TokenEnv, sink.TokenSecret));
    }

    private static void WriteServerInfo(DroverHome home, string url)
    {
        var json = JsonSerializer.Serialize(new { url, pid = Environment.ProcessId, started_at = DateTimeOffset.UtcNow });
        File.WriteAllText(home.ServerInfoPath, json);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }

    private sealed class NoSignalLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
