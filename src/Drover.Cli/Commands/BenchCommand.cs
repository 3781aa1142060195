using System.CommandLine;
using Drover.Cli.Bench;

namespace Drover.Cli.Commands;

/// <summary>`drover bench`: the end-to-end harness (real store, real claim/complete path, real processes).</summary>
public static class BenchCommand
{
    public static Command Create(GlobalOptions g)
    {
        var phases = new Option<string>("--phases") { Description = "Comma list of throughput, latency, recovery, idle (CPU of an idle serve), sandbox (what confinement adds to an attempt's start), repos (what a URL repo on a warm mirror adds to a job's worktree), gateway (gateway overhead vs a fake upstream; not in the default list)", DefaultValueFactory = _ => "throughput,latency,recovery,idle,sandbox,repos" };
        var repoRuns = new Option<int>("--repo-runs") { Description = "Worktrees per mode and rep in the repos phase", DefaultValueFactory = _ => 50 };
        var n = new Option<int>("--n") { Description = "Jobs per throughput run", DefaultValueFactory = _ => 10_000 };
        var workers = new Option<string>("--workers") { Description = "Concurrent claimers for throughput", DefaultValueFactory = _ => "2,8,32" };
        var reps = new Option<int>("--reps") { Description = "Repetitions (medians are reported)", DefaultValueFactory = _ => 3 };
        var latJobs = new Option<int>("--lat-jobs") { Description = "Jobs per latency run", DefaultValueFactory = _ => 200 };
        var latInterval = new Option<int>("--lat-interval-ms") { Description = "Gap between latency jobs", DefaultValueFactory = _ => 20 };
        var latSlots = new Option<int>("--lat-slots") { Description = "Worker slots in the latency runs", DefaultValueFactory = _ => 8 };
        var leaseTtl = new Option<string>("--lease-ttl") { Description = "Lease TTL for the recovery runs", DefaultValueFactory = _ => "2s" };
        var gwConcurrency = new Option<string>("--gw-concurrency") { Description = "Concurrent callers for the gateway runs", DefaultValueFactory = _ => "1,50" };
        var gwRequests = new Option<int>("--gw-requests") { Description = "Requests per gateway run, each of direct and through the gateway", DefaultValueFactory = _ => 2000 };
        var gwWarmup = new Option<int>("--gw-warmup") { Description = "Requests per concurrency, mode and target in the unmeasured warm-up round of the gateway runs", DefaultValueFactory = _ => 2000 };
        var pgServer = new Option<string?>("--postgres") { Description = "Run the throughput, latency and recovery phases on PostgreSQL instead: a postgres:// URL whose user may create databases (one per run, dropped after)" };
        var terminalRows = new Option<long>("--terminal-rows") { Description = "With --postgres: add this many succeeded jobs before each claim run (claim latency with a long history)" };
        var idleSeconds = new Option<int>("--idle-seconds") { Description = "How long the idle phase samples an idle serve's CPU", DefaultValueFactory = _ => 20 };
        var sandboxRuns = new Option<int>("--sandbox-runs") { Description = "Starts per mode and rep in the sandbox phase", DefaultValueFactory = _ => 200 };
        var child = new Option<bool>("--child-worker") { Hidden = true };
        var slots = new Option<int>("--slots") { Hidden = true, DefaultValueFactory = _ => 8 };
        var cmd = new Command("bench", "Measure submit/claim throughput, dispatch latency, recovery time and gateway overhead")
        {
            phases, n, workers, reps, latJobs, latInterval, latSlots, leaseTtl, gwConcurrency, gwRequests, gwWarmup, pgServer, terminalRows, idleSeconds, sandboxRuns, repoRuns, child, slots,
        };
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            if (r.GetValue(child))
                return await DispatchBench.ChildWorkerAsync(s.Home ?? throw new ArgumentException("--home is required"), r.GetValue(slots), s.Store, ct);

            var stats = new BenchStats();
            var wanted = r.GetValue(phases)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var progress = Console.Error;
            if (wanted.Contains("throughput"))
            {
                await progress.WriteLineAsync($"throughput: {r.GetValue(n)} no-op jobs, workers {r.GetValue(workers)}, {r.GetValue(reps)} reps");
                var counts = r.GetValue(workers)!.Split(',').Select(int.Parse).ToList();
                // With --postgres the throughput runs are on PostgreSQL only (run SQLite's without it, in the same script).
                await StoreBench.RunAsync(
                    r.GetValue(n), counts, r.GetValue(reps), stats, progress, ct, r.GetValue(pgServer) is { Length: > 0 } server ? server : null, r.GetValue(terminalRows));
            }

            if (wanted.Contains("latency"))
            {
                await progress.WriteLineAsync($"latency: {r.GetValue(latJobs)} jobs every {r.GetValue(latInterval)} ms, {r.GetValue(latSlots)} slots");
                await DispatchBench.RunAsync(
                    r.GetValue(latJobs), r.GetValue(latInterval), r.GetValue(latSlots), r.GetValue(reps), stats, progress, ct, r.GetValue(pgServer) is { Length: > 0 } pg ? pg : null);
            }

            if (wanted.Contains("recovery"))
            {
                await progress.WriteLineAsync($"recovery: SIGKILL a worker holding a job, lease TTL {r.GetValue(leaseTtl)}");
                await RecoveryBench.RunAsync(r.GetValue(leaseTtl)!, r.GetValue(reps), stats, progress, ct, r.GetValue(pgServer) is { Length: > 0 } pg ? pg : null);
            }

            if (wanted.Contains("idle"))
            {
                await progress.WriteLineAsync($"idle: CPU of an idle `drover serve` (SQLite, 2 slots) over {r.GetValue(idleSeconds)} s");
                await IdleBench.RunAsync(r.GetValue(idleSeconds), r.GetValue(reps), stats, progress, ct);
            }

            if (wanted.Contains("sandbox"))
            {
                await progress.WriteLineAsync($"sandbox: {r.GetValue(sandboxRuns)} starts of /bin/true bare, in bubblewrap, and in bubblewrap with the gateway relay");
                await SandboxBench.RunAsync(r.GetValue(sandboxRuns), r.GetValue(reps), stats, progress, ct);
            }

            if (wanted.Contains("repos"))
            {
                await progress.WriteLineAsync($"repos: {r.GetValue(repoRuns)} job worktrees from a local repo and from a file:// URL on a warm mirror");
                await RepoBench.RunAsync(r.GetValue(repoRuns), r.GetValue(reps), stats, progress, ct);
            }

            if (wanted.Contains("gateway"))
            {
                var conc = r.GetValue(gwConcurrency)!.Split(',').Select(int.Parse).ToList();
                await progress.WriteLineAsync($"gateway: {r.GetValue(gwRequests)} requests direct and via `drover serve` to a fake upstream, concurrency {r.GetValue(gwConcurrency)}, {r.GetValue(reps)} reps");
                await GatewayBench.RunAsync(conc, r.GetValue(gwRequests), r.GetValue(gwWarmup), r.GetValue(reps), stats, progress, ct);
            }

            stats.Print(Console.Out);
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
