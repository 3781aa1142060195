using System.CommandLine;
using Drover.Cli.Output;
using Drover.Core.Configuration;
using Drover.Core.Storage;
using Drover.Engines.Agents;
using Drover.Server.Hosting;
using Drover.Server.Jobs;
using Drover.Server.Supervision;

namespace Drover.Cli.Commands;

/// <summary>status, workers, usage, report, engines, doctor, pause, resume, token, init.</summary>
public static class FleetCommands
{
    public static IEnumerable<Command> Create(GlobalOptions g)
    {
        yield return Status(g);
        yield return Workers(g);
        yield return Usage(g);
        yield return ReportCommand.Create(g);
        yield return Providers(g);
        yield return Engines(g);
        yield return DoctorCommand(g);
        yield return Pause(g, "pause", "Stop claiming new jobs fleet-wide (running ones finish)", true);
        yield return ResumeCommand.Create(g);
        yield return Token(g);
        yield return SecretCommands.Create(g);
        yield return Init(g);
        yield return Migrate(g);
        yield return Gc(g);
        yield return AlertCommands.Create(g);
    }

    private static Command Status(GlobalOptions g)
    {
        var watch = new Option<bool>("--watch") { Description = "Refresh every 2 seconds until Ctrl-C" };
        var check = new Option<bool>("--check")
        {
            Description = "For cron and monitors: exit 1 when a worker was lost (last day), a live worker's heartbeat is stale, or jobs wait with no live worker; print why",
        };
        var staleAfter = new Option<string?>("--stale-after") { Description = "With --check: a heartbeat older than this is stale (default 60s)" };
        var cmd = new Command("status", "Workers with heartbeat age, job counts per state, gates") { watch, check, staleAfter };
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            var (api, owner) = await Runtime.ConnectAsync(s, ct);
            await using (owner)
            {
                if (r.GetValue(check))
                {
                    var stale = r.GetValue(staleAfter) is { } text ? Durations.Parse(text, "--stale-after") : FleetHealth.DefaultStaleAfter;
                    var health = FleetHealth.Evaluate(await api.StatusAsync(ct), stale);
                    if (s.Json)
                    {
                        Render.Json(new { ok = health.Ok, status = health.Status, reasons = health.Reasons });
                    }
                    else
                    {
                        Console.WriteLine(health.Status);
                        foreach (var reason in health.Reasons)
                            Console.WriteLine("  " + SafeText.Line(reason));
                    }

                    return health.Ok ? ExitCodes.Ok : ExitCodes.Failed;
                }

                do
                {
                    var status = await api.StatusAsync(ct);
                    if (s.Json)
                    {
                        Render.Json(status);
                    }
                    else
                    {
                        if (r.GetValue(watch) && !Console.IsOutputRedirected)
                            Console.Clear();
                        Render.Status(status);
                    }

                    if (!r.GetValue(watch))
                        break;
                    try
                    {
                        await Task.Delay(TimeSpan.FromSeconds(2), ct);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
                while (!ct.IsCancellationRequested);
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Usage(GlobalOptions g)
    {
        var period = new Option<string>("--period") { Description = "day | week | month", DefaultValueFactory = _ => "day" };
        var by = new Option<string>("--by") { Description = "provider | model | job | engine | repo | label", DefaultValueFactory = _ => "provider" };
        var cmd = new Command("usage", "Gateway spend: requests, tokens by kind and cost, grouped") { period, by };
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            var (api, owner) = await Runtime.ConnectAsync(s, ct);
            await using (owner)
            {
                var usage = await api.UsageAsync(r.GetValue(period)!, r.GetValue(by)!, ct);
                if (s.Json)
                    Render.Json(usage);
                else
                    Render.Spend(usage);
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Migrate(GlobalOptions g)
    {
        var cmd = new Command("migrate", "Schema migrations of the store (--store): status, or up to apply what is pending");
        var status = new Command("status", "Known, applied and pending schema versions (changes nothing)");
        var up = new Command("up", "Apply pending migrations (every process also does this when it opens the store)");
        status.SetHandler(g, (r, s, ct) => MigrateAsync(s, apply: false, ct));
        up.SetHandler(g, (r, s, ct) => MigrateAsync(s, apply: true, ct));
        cmd.Subcommands.Add(status);
        cmd.Subcommands.Add(up);
        return cmd;
    }

    private static async Task<int> MigrateAsync(GlobalOptions.Settings s, bool apply, CancellationToken ct)
    {
        var home = DroverHome.Resolve(s.Home);
        home.EnsureCreated();
        await using var store = await Runtime.OpenStoreAsync(home, s.Store, ct, migrate: false);
        var schema = (ISchemaMigrations)store;
        var before = await schema.AppliedMigrationsAsync(ct);
        if (apply)
            await store.MigrateAsync(ct);
        var applied = await schema.AppliedMigrationsAsync(ct);
        var pending = schema.KnownMigrations.Except(applied).ToList();
        var view = new { store = s.Store ?? "sqlite:" + home.DatabasePath, known = schema.KnownMigrations, applied, pending, applied_now = applied.Except(before).ToList() };
        if (s.Json)
        {
            Render.Json(view);
        }
        else
        {
            Console.WriteLine($"known    {string.Join(", ", view.known)}");
            Console.WriteLine($"applied  {(applied.Count == 0 ? "none" : string.Join(", ", applied))}");
            Console.WriteLine($"pending  {(pending.Count == 0 ? "none" : string.Join(", ", pending))}");
            if (apply)
                Console.WriteLine($"applied now: {(view.applied_now.Count == 0 ? "nothing (up to date)" : string.Join(", ", view.applied_now))}");
        }

        return ExitCodes.Ok;
    }

    private static Command Gc(GlobalOptions g)
    {
        var olderThan = new Option<string?>("--older-than") { Description = "Delete terminal jobs unchanged for longer than this (default [gc] retention, 30d)" };
        var batch = new Option<int?>("--batch") { Description = "Jobs per transaction (default [gc] batch, 500)" };
        var cmd = new Command("gc", "Delete succeeded, failed and cancelled jobs past the retention, with their attempts, events and run files; remove the worktrees of ended jobs (their branches stay)") { olderThan, batch };
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            var home = DroverHome.Resolve(s.Home);
            home.EnsureCreated();
            var config = await Runtime.LoadConfigAsync(home, ct);
            var retention = config.Gc.Retention;
            if (r.GetValue(olderThan) is { } text)
                retention = Durations.Parse(text, "--older-than");
            if (retention <= TimeSpan.Zero)
                throw new ArgumentException("--older-than: the retention must be longer than zero");
            var perBatch = r.GetValue(batch) ?? config.Gc.Batch;
            if (perBatch < 1)
                throw new ArgumentException("--batch: must be at least 1");
            await using var store = await Runtime.OpenStoreAsync(home, s.Store, ct);
            var now = DateTimeOffset.UtcNow;
            var cutoff = now - retention;
            long jobs = 0, events = 0, batches = 0;
            while (true)
            {
                var result = await store.JobGcAsync(new JobGcParams(cutoff, perBatch, now), ct);
                if (result.JobIds.Count == 0 && result.Events == 0)
                    break;
                batches++;
                jobs += result.JobIds.Count;
                events += result.Events;
                // This host's run files (prompts, logs, results) of the deleted jobs.
                foreach (var id in result.JobIds)
                {
                    var dir = Path.Combine(home.RunsDir, id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    if (Directory.Exists(dir))
                        Directory.Delete(dir, recursive: true);
                }

                if (!s.Json)
                    Console.Error.WriteLine($"gc: {jobs} jobs, {events} events deleted so far");
            }

            // Worktrees of every ended job (kept ones included) and of the jobs just deleted; their branches stay.
            var worktrees = await new Worktrees(store, home, WorkspaceKeep.None, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).SweepAsync(ct);
            // Mirrors of URL repos that no job has used within the retention (SPEC §12).
            var mirrors = await Runtime.Mirrors(config, home).PruneAsync(home.Root, cutoff, ct);
            if (s.Json)
                Render.Json(new { cutoff, retention_s = (long)retention.TotalSeconds, jobs_deleted = jobs, events_deleted = events, batches, worktrees_removed = worktrees, mirrors_removed = mirrors });
            else
                Console.WriteLine($"deleted {jobs} jobs and {events} events unchanged since {cutoff:yyyy-MM-dd HH:mm:ss}Z (retention {(retention.TotalDays >= 1 ? $"{retention.TotalDays:0.##}d" : $"{retention.TotalHours:0.##}h")}); removed {worktrees} worktrees of ended jobs and {mirrors} unused repo mirrors");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Providers(GlobalOptions g)
    {
        var cmd = new Command("providers", "Gateway providers: circuit state, limits used, error rate and latency over the last hour");
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            var (api, owner) = await Runtime.ConnectAsync(s, ct);
            await using (owner)
            {
                var providers = await api.ProvidersAsync(ct);
                if (s.Json)
                    Render.Json(new { providers });
                else
                    Render.Providers(providers);
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Workers(GlobalOptions g)
    {
        var cmd = new Command("workers", "List workers");
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            var (api, owner) = await Runtime.ConnectAsync(s, ct);
            await using (owner)
            {
                var workers = await api.WorkersAsync(ct);
                if (s.Json)
                    Render.Json(new { workers });
                else
                    Render.Workers(workers);
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Pause(GlobalOptions g, string name, string description, bool paused)
    {
        var cmd = new Command(name, description);
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            var (api, owner) = await Runtime.ConnectAsync(s, ct);
            await using (owner)
            {
                await api.SetPausedAsync(paused, ct);
                if (s.Json)
                    Render.Json(await api.StatusAsync(ct));
                else
                    Console.WriteLine(paused ? "fleet paused" : "fleet resumed");
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Engines(GlobalOptions g)
    {
        var cmd = new Command("engines", "List the agent engines this machine has: path, version, capabilities (--version of each, 10 s at most)");
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            var home = DroverHome.Resolve(s.Home);
            var config = await Runtime.LoadConfigAsync(home, ct);
            var engines = await EngineDrivers.DetectAsync(config.Engines, ct);
            if (s.Json)
            {
                Render.Json(new
                {
                    engines = engines.Select(e => new { name = e.Name, path = e.Path, version = e.Version, available = e.Path is not null, capabilities = e.Capabilities, error = e.Error }),
                });
            }
            else
            {
                Render.Engines(engines);
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command DoctorCommand(GlobalOptions g)
    {
        var cmd = new Command("doctor", "Check this machine: home, drover.toml, token mode, store, git, and each agent CLI and its version; exits 1 when a check fails");
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            var checks = await Doctor.RunAsync(DroverHome.Resolve(s.Home), s.Store, ct);
            var failed = checks.Any(c => c.Status == DoctorCheck.FailStatus);
            if (s.Json)
                Render.Json(new { ok = !failed, checks = checks.Select(c => new { check = c.Name, status = c.Status, detail = c.Detail }) });
            else
                Render.Doctor(checks);
            return failed ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Token(GlobalOptions g)
    {
        var cmd = new Command("token", "Print the API bearer token (created 0600 on first use)");
        cmd.SetHandler(g, (r, s, ct) =>
        {
            var home = DroverHome.Resolve(s.Home);
            var token = home.EnsureToken();
            if (s.Json)
                Render.Json(new { token, path = home.TokenPath });
            else
                Console.WriteLine(token);
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }

    private static Command Init(GlobalOptions g)
    {
        var cmd = new Command("init", "Create the home directory, drover.toml, the token and the database");
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            var home = DroverHome.Resolve(s.Home);
            home.EnsureCreated();
            var wroteConfig = false;
            if (!File.Exists(home.ConfigPath))
            {
                await File.WriteAllTextAsync(home.ConfigPath, DroverConfig.DefaultToml, ct);
                wroteConfig = true;
            }

            home.EnsureToken();
            await using (await Runtime.OpenStoreAsync(home, s.Store, ct))
            {
            }

            if (s.Json)
            {
                Render.Json(new { home = home.Root, config = home.ConfigPath, token = home.TokenPath, database = home.DatabasePath, wrote_config = wroteConfig });
            }
            else
            {
                Console.WriteLine($"home      {home.Root}");
                Console.WriteLine($"config    {home.ConfigPath}{(wroteConfig ? " (written)" : " (kept)")}");
                Console.WriteLine($"token     {home.TokenPath} (0600)");
                Console.WriteLine($"database  {home.DatabasePath}");
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }
}
