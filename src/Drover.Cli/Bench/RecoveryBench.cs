using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Drover.Core.Jobs;
using Drover.Server.Jobs;

namespace Drover.Cli.Bench;

/// <summary>
/// Recovery time: a worker process holding a job is killed with SIGKILL while a second worker
/// process idles; the figure is the time from the kill until the job is running on the second one.
/// </summary>
public static partial class RecoveryBench
{
    public static async Task RunAsync(string leaseTtl, int reps, BenchStats stats, TextWriter progress, CancellationToken ct, string? postgresServer = null)
    {
        for (var rep = 1; rep <= reps; rep++)
        {
            await using var db = postgresServer is null ? null : await BenchDatabase.CreateAsync(postgresServer, ct);
            var seconds = await OnceAsync(leaseTtl, db?.Url, ct);
            stats.Add($"store={(db is null ? "sqlite" : "postgres")} lease_ttl={leaseTtl} metric=recovery_s", seconds);
            await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  rep {rep}: running again on the other worker {seconds:0.000} s after SIGKILL"));
        }
    }

    private static async Task<double> OnceAsync(string leaseTtl, string? store, CancellationToken ct)
    {
        using var dir = new TempDir();
        await using var rt = await Runtime.OpenAsync(new GlobalOptions.Settings(dir.Path, store, false, null, null), ct);
        using var a = StartWorker(dir.Path, "A", leaseTtl, store);
        Process? b = null;
        try
        {
            var spec = new JsonObject { ["engine"] = "shell", ["command"] = "sleep 60", ["lock"] = "none", ["title"] = "held job", ["retry"] = new JsonObject { ["backoff"] = "1s" } };
            var id = (await rt.Jobs.SubmitAsync(new SubmitRequest(spec, null, null, dir.Path), ct)).Job.Id;
            await WaitAsync(async () => (await rt.Store.JobGetAsync(id, ct)) is { State: JobState.Running, Worker: "A" }, ct);
            b = StartWorker(dir.Path, "B", leaseTtl, store);
            await WaitAsync(async () => (await rt.Store.WorkerListAsync(ct)).Any(w => w.Name == "B" && w.State == "idle"), ct);

            Kill(a.Id, 9);
            var killedAt = Stopwatch.GetTimestamp();
            await WaitAsync(async () => (await rt.Store.JobGetAsync(id, ct)) is { State: JobState.Running, Worker: "B" }, ct, pollMs: 5);
            var seconds = Stopwatch.GetElapsedTime(killedAt).TotalSeconds;
            await rt.Jobs.CancelAsync(id, ct);
            return seconds;
        }
        finally
        {
            foreach (var p in new[] { a, b })
            {
                if (p is { HasExited: false })
                {
                    Kill(p.Id, 15);
                    if (!p.WaitForExit(30_000))
                        Kill(p.Id, 9);
                }
            }

            b?.Dispose();
        }
    }

    private static Process StartWorker(string home, string name, string leaseTtl, string? store)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "drover.dll"), "worker", "--home", home, "--name", name, "--slots", "1", "--lease-ttl", leaseTtl, "--heartbeat", "1s", "--kill-grace", "1s", "--grace", "1s" })
            psi.ArgumentList.Add(arg);
        if (store is not null)
        {
            psi.ArgumentList.Add("--store");
            psi.ArgumentList.Add(store);
        }

        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, CancellationToken ct, int pollMs = 50)
    {
        var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 90);
        while (!await condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
                throw new TimeoutException("recovery benchmark: condition not met within 90 s");
            await Task.Delay(pollMs, ct);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int sig);
}
