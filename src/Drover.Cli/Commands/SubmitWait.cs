using Drover.Cli.Output;
using Drover.Server.Jobs;
using Drover.Server.Supervision;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Cli.Commands;

/// <summary>
/// `submit --wait`: follows the job and the fleet until the job is terminal or blocked, saying on stderr what
/// happens (attempts, backoff, why it waits), and gives up with a clear message when nothing can run it.
/// </summary>
internal static class SubmitWait
{
    /// <summary>How long the fleet may have no live worker before waiting is pointless.</summary>
    public static readonly TimeSpan NoWorkerGrace = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan FleetPoll = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Without a server, and with no live worker on the store, it runs the job itself with a one-slot in-process
    /// worker so `submit --wait` finishes. A worker is live while its heartbeat is younger than <paramref name="liveAfter"/>.
    /// </summary>
    public static async Task<JobView> WaitAsync(IDroverApi api, Runtime? local, long id, TimeSpan? limit, TimeSpan liveAfter, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (limit is { } l)
            cts.CancelAfter(l);
        using var workerCts = new CancellationTokenSource();
        Task? worker = null;
        WorkerHost? host = null;
        if (local is not null && !Live(await local.Jobs.WorkersAsync(ct), liveAfter))
        {
            var opts = new WorkerOptions
            {
                Name = $"{Environment.MachineName}-cli-{Environment.ProcessId}",
                Home = local.Home,
                Slots = 1,
                LeaseTtl = local.Config.Worker.LeaseTtl,
                Heartbeat = local.Config.Worker.Heartbeat,
                KillGrace = local.Config.Worker.KillGrace,
                MinFreeMemoryBytes = local.Config.Fleet.MinFreeMemoryBytes,
                MinFreeDiskBytes = local.Config.Fleet.MinFreeDiskBytes,
                SandboxGate = Runtime.Sandbox(local.Config, local.Home).ClaimGate,
                KeepWorkspaces = local.Config.Workspaces.Keep,
                Budgets = local.Config.Budgets,
                Deliverer = Runtime.CreateDeliverer(NullLoggerFactory.Instance, local.Config, local.Home, local.Store),
                Proposals = new Drover.Server.Proposals.ProposalReader(local.Config.SpecContext, local.Config.Proposals),
                Capabilities = [.. local.Config.Worker.Capabilities, .. Runtime.SandboxCapabilities(local.Config, local.Home), .. await Runtime.DetectedEngineCapabilitiesAsync(local.Config, ct)],
            };
            host = new WorkerHost(local.Store, Runtime.CreateRunner(NullLoggerFactory.Instance, local.Config, local.Home), opts, TimeProvider.System, NullLogger.Instance);
            worker = host.RunAsync(workerCts.Token);
        }

        JobView? last = null;
        try
        {
            var fleetCheckedAt = DateTimeOffset.MinValue;
            DateTimeOffset? noWorkerSince = null;
            while (true)
            {
                var job = await api.GetJobAsync(id, cts.Token);
                if (job.State is "succeeded" or "failed" or "cancelled" or "blocked")
                    return job;
                Report(last, job);
                last = job;

                var now = TimeProvider.System.GetUtcNow();
                if (now - fleetCheckedAt >= FleetPoll)
                {
                    fleetCheckedAt = now;
                    if (Live(await api.WorkersAsync(cts.Token), liveAfter))
                        noWorkerSince = null;
                    else if ((noWorkerSince ??= now) + NoWorkerGrace <= now)
                        throw new Core.DroverException(
                            $"gave up waiting for job {id}: no live worker for {NoWorkerGrace.TotalSeconds:0}s (the server or workers may have died); " +
                            $"the job stays {job.State} — start `drover serve` or `drover worker`, then `drover show {id}`");
                }

                await Task.Delay(Poll, cts.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new Core.DroverException($"gave up waiting for job {id} after {limit}");
        }
        catch (ServerUnreachableException e)
        {
            throw new ServerUnreachableException(
                $"the Drover server stopped answering while job {id} was {last?.State ?? "queued"} ({e.Message}); the job is kept: `drover show {id}` once it is back", e);
        }
        finally
        {
            if (worker is not null)
            {
                await workerCts.CancelAsync();
                await worker;
                host!.Dispose();
            }
        }
    }

    private static bool Live(IReadOnlyList<WorkerView> workers, TimeSpan liveAfter) =>
        workers.Any(w => w.State is "idle" or "busy" && w.HeartbeatAgeS < liveAfter.TotalSeconds);

    /// <summary>One stderr line per change: an attempt starting (n/max on worker W), or why the job waits.</summary>
    private static void Report(JobView? before, JobView now)
    {
        if (now.State == "running" && (before?.State != "running" || before.Attempt != now.Attempt))
            Console.Error.WriteLine($"job {now.Id}: attempt {now.Attempt}/{now.MaxAttempts} started on worker {now.Worker ?? "?"}");
        else if (now.State == "queued" && now.Why is { Length: > 0 } why && (before?.Why != why || before.State != "queued"))
            Console.Error.WriteLine($"job {now.Id}: waiting: {SafeText.Line(why)}");
    }
}
