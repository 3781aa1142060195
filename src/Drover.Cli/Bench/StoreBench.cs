using System.Diagnostics;
using System.Text.Json.Nodes;
using Drover.Core.Storage;
using Drover.Server.Jobs;

namespace Drover.Cli.Bench;

/// <summary>Submit throughput and claim+complete throughput on the real SQLite store (no-op jobs).</summary>
public static class StoreBench
{
    public static async Task RunAsync(int n, IReadOnlyList<int> workerCounts, int reps, BenchStats stats, TextWriter progress, CancellationToken ct)
    {
        for (var rep = 1; rep <= reps; rep++)
        {
            foreach (var w in workerCounts)
            {
                using var dir = new TempDir();
                await using var rt = await Runtime.OpenAsync(new GlobalOptions.Settings(dir.Path, null, false, null, null), ct);
                var submitted = await SubmitAsync(rt.Jobs, n, dir.Path, ct);
                stats.Add("store=sqlite metric=submit_jobs_per_s", submitted);
                var processed = await ClaimCompleteAsync(rt.Store, n, w, ct);
                stats.Add($"store=sqlite workers={w} metric=claim_complete_jobs_per_s", processed);
                await progress.WriteLineAsync($"  rep {rep} workers={w}: submit {submitted:0} jobs/s, claim+complete {processed:0} jobs/s");
            }
        }
    }

    /// <summary>Sequential submits through the same path as `drover submit` (parse, validate, insert).</summary>
    public static async Task<double> SubmitAsync(JobService jobs, int n, string cwd, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            var spec = new JsonObject { ["engine"] = "shell", ["command"] = "true", ["lock"] = "none", ["title"] = $"noop {i}" };
            await jobs.SubmitAsync(new SubmitRequest(spec, null, null, cwd), ct);
        }

        return n / sw.Elapsed.TotalSeconds;
    }

    /// <summary>W concurrent claimers, each claiming one job at a time and completing it at once.</summary>
    public static async Task<double> ClaimCompleteAsync(IJobStore store, int n, int workers, CancellationToken ct)
    {
        var done = 0;
        var sw = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, workers).Select(i => Task.Run(
            async () =>
            {
                var name = $"bench-{i}";
                IReadOnlyList<string> caps = ["os:linux", "engine:shell"];
                while (true)
                {
                    var claimed = await store.JobClaimAsync(new JobClaimParams(name, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(30), 1, caps), ct);
                    if (claimed.Count == 0)
                        return;
                    foreach (var job in claimed)
                    {
                        var r = await store.JobCompleteAsync(
                            new JobCompleteParams(job.Id, job.Epoch, DateTimeOffset.UtcNow, AttemptOutcome.Success(), new AttemptResult(ExitCode: 0), 0.5),
                            ct);
                        if (r.Applied)
                            Interlocked.Increment(ref done);
                    }
                }
            },
            ct)).ToList();
        await Task.WhenAll(tasks);
        var elapsed = sw.Elapsed;
        if (done != n)
            throw new InvalidOperationException($"claim+complete finished {done} of {n} jobs");
        return n / elapsed.TotalSeconds;
    }
}

/// <summary>A temporary directory removed on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path = System.IO.Path.Combine("/var/tmp", "drover-bench-" + Guid.NewGuid().ToString("N")[..10]));

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
