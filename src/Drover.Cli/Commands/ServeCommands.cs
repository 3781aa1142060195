using System.CommandLine;
using Drover.Core.Configuration;
using Drover.Server.Hosting;
using Drover.Server.Supervision;
using Microsoft.Extensions.Logging;

namespace Drover.Cli.Commands;

/// <summary>`serve` (API + reaper + local slots) and `worker` (slots only, against --store).</summary>
public static class ServeCommands
{
    private sealed record WorkerFlags(
        Option<string?> Name,
        Option<int?> Slots,
        Option<string?> LeaseTtl,
        Option<string?> Heartbeat,
        Option<string?> Grace,
        Option<string?> KillGrace,
        Option<string[]> Capabilities)
    {
        public static WorkerFlags Create() => new(
            new Option<string?>("--name") { Description = "Worker name (default: the host name); a second live process may not take the same name" },
            new Option<int?>("--slots") { Description = "Concurrent attempts (serve: 0 = API and reaper only)" },
            new Option<string?>("--lease-ttl") { Description = "Lease time-to-live (default 30s)" },
            new Option<string?>("--heartbeat") { Description = "Worker heartbeat interval (default 10s)" },
            new Option<string?>("--grace") { Description = "On SIGTERM, how long running attempts may finish before they are released (default 10s)" },
            new Option<string?>("--kill-grace") { Description = "SIGTERM → SIGKILL grace for an agent's process group (default 10s)" },
            new Option<string[]>("--capability") { Description = "Extra capability this worker offers (repeatable)" });

        public void AddTo(Command c)
        {
            c.Options.Add(Name);
            c.Options.Add(Slots);
            c.Options.Add(LeaseTtl);
            c.Options.Add(Heartbeat);
            c.Options.Add(Grace);
            c.Options.Add(KillGrace);
            c.Options.Add(Capabilities);
        }

        /// <param name="defaultName">The name when neither --name nor [worker] name gives one: stable across restarts,
        /// so a restart after a death is seen as one (the report's loss and MTTR); serve and worker default apart, so
        /// both can run on one host.</param>
        public WorkerOptions Read(ParseResult r, DroverHome home, DroverConfig config, string defaultName) => new()
        {
            Name = r.GetValue(Name) ?? config.Worker.Name ?? defaultName,
            Home = home,
            Slots = r.GetValue(Slots) ?? config.Worker.Slots,
            LeaseTtl = r.GetValue(LeaseTtl) is { } l ? Durations.Parse(l, "--lease-ttl") : config.Worker.LeaseTtl,
            Heartbeat = r.GetValue(Heartbeat) is { } h ? Durations.Parse(h, "--heartbeat") : config.Worker.Heartbeat,
            ShutdownGrace = r.GetValue(Grace) is { } g ? Durations.Parse(g, "--grace") : TimeSpan.FromSeconds(10),
            KillGrace = r.GetValue(KillGrace) is { } k ? Durations.Parse(k, "--kill-grace") : config.Worker.KillGrace,
            Capabilities = [.. config.Worker.Capabilities, .. r.GetValue(Capabilities) ?? [], .. Runtime.SandboxCapabilities(config, home)],
            NoEngineAfter = config.Fleet.NoEngineAfter,
            MinFreeMemoryBytes = config.Fleet.MinFreeMemoryBytes,
            MinFreeDiskBytes = config.Fleet.MinFreeDiskBytes,
            SandboxGate = Runtime.Sandbox(config, home).ClaimGate,
            KeepWorkspaces = config.Workspaces.Keep,
            Budgets = config.Budgets,
            Proposals = new Drover.Server.Proposals.ProposalReader(config.SpecContext, config.Proposals),
            EngineLimits = config.Engines.Where(e => e.Value.MaxConcurrency is > 0)
                .ToDictionary(e => e.Key, e => e.Value.MaxConcurrency!.Value, StringComparer.Ordinal),
        };
    }

    public static Command Serve(GlobalOptions g)
    {
        var flags = WorkerFlags.Create();
        var port = new Option<int?>("--port") { Description = "API port (default 8731; 0 picks a free one)" };
        var bind = new Option<string?>("--bind") { Description = "Address to bind (default 127.0.0.1); beyond loopback needs [server] tls_cert and tls_key, or --insecure-bind" };
        var insecureBind = new Option<bool>("--insecure-bind") { Description = "Serve plain HTTP beyond loopback anyway: the token and session cookies cross the network in clear text" };
        var demo = new Option<bool>("--demo") { Description = "Use a temporary home and submit demo jobs (no API key needed)" };
        var cmd = new Command("serve", "Run the API, the reaper and local worker slots") { port, bind, insecureBind, demo };
        flags.AddTo(cmd);
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            var isDemo = r.GetValue(demo);
            if (isDemo && s.Home is null)
                s = s with { Home = Path.Combine(Path.GetTempPath(), $"drover-demo-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}") };
            var home = DroverHome.Resolve(s.Home);
            using var serveLock = ServeLock.TryAcquire(home);
            if (serveLock is null)
            {
                throw new ArgumentException($"another drover serve is already running for home {home.Root}" +
                    (File.Exists(home.ServerInfoPath) ? $" ({File.ReadAllText(home.ServerInfoPath).Trim()})" : "") +
                    "; stop it first or use another --home");
            }

            await using var rt = await Runtime.OpenAsync(s, ct);
            var worker = flags.Read(r, home, rt.Config, Environment.MachineName) with { ShipLogs = rt.Store is Drover.Storage.Postgres.PostgresJobStore };
            worker = worker with { Capabilities = [.. worker.Capabilities, .. await Runtime.DetectedEngineCapabilitiesAsync(rt.Config, ct)] };
            using var signal = new ShutdownSignal(ct);
            using var logs = LoggerFactory.Create(b => b.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            }));
            var options = new ServeOptions
            {
                Home = home,
                Worker = worker with { Deliverer = Runtime.CreateDeliverer(logs, rt.Config, home, rt.Store) },
                Port = r.GetValue(port) ?? rt.Config.Server.Port,
                Bind = r.GetValue(bind) ?? rt.Config.Server.Bind,
                TlsCert = rt.Config.Server.TlsCert,
                TlsKey = rt.Config.Server.TlsKey,
                InsecureBind = r.GetValue(insecureBind),
                Config = rt.Config,
                Forges = Runtime.Forges(rt.Config, home),
                OnStarted = async (listening, jobs, token) =>
                {
                    Console.WriteLine($"drover: serving {listening.Shown} (home {home.Root}; token in {home.TokenPath})");
                    var homeFlag = home.Root == DroverHome.Resolve(null).Root ? "" : $" --home {home.Root}";
                    Console.WriteLine($"drover: dashboard at {listening.Url}/ (run `drover dashboard{homeFlag}` for a login link)");
                    Console.WriteLine($"drover: {Runtime.SandboxSummary(rt.Config, home)}");
                    if (isDemo)
                        await Demo.SubmitAsync(home, jobs, listening.Url, token);
                },
            };
            await DroverServer.RunAsync(options, rt.Store, rt.Jobs, Runtime.CreateRunner(logs, rt.Config, rt.Home), signal.Token);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    public static Command Worker(GlobalOptions g)
    {
        var flags = WorkerFlags.Create();
        var cmd = new Command("worker", "Run worker slots (and a reaper) against --store, without the API");
        flags.AddTo(cmd);
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            await using var rt = await Runtime.OpenAsync(s, ct);
            var options = flags.Read(r, rt.Home, rt.Config, Environment.MachineName + "-worker") with { ShipLogs = rt.Store is Drover.Storage.Postgres.PostgresJobStore };
            options = options with { Capabilities = [.. options.Capabilities, .. await Runtime.DetectedEngineCapabilitiesAsync(rt.Config, ct)] };
            if (options.Slots < 1)
                throw new ArgumentException("--slots must be at least 1 for a worker");
            using var signal = new ShutdownSignal(ct);
            using var logs = LoggerFactory.Create(b => b.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            }));
            var logger = logs.CreateLogger("drover");
            options = options with { Deliverer = Runtime.CreateDeliverer(logs, rt.Config, rt.Home, rt.Store) };
            using var host = new WorkerHost(rt.Store, Runtime.CreateRunner(logs, rt.Config, rt.Home), options, TimeProvider.System, logger);
            await host.RegisterAsync(ct);
            Console.WriteLine($"drover: {Runtime.SandboxSummary(rt.Config, rt.Home)}");
            using var reaperCts = new CancellationTokenSource();
            var reaper = new Reaper(rt.Store, options, TimeProvider.System, logger).RunAsync(reaperCts.Token);
            await host.RunAsync(signal.Token);
            await reaperCts.CancelAsync();
            await reaper;
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
