using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Drover.Server.Hosting;
using Drover.Server.Jobs;
using Drover.Server.Supervision;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Cli.Bench;

/// <summary>
/// Dispatch latency: submit → attempt started, at a low steady rate (one job every 20 ms), with
/// the submitter in the worker's process (inproc) and in another process (xproc). Timestamps are
/// Stopwatch ticks (CLOCK_MONOTONIC), comparable across processes on one machine.
/// </summary>
public static class DispatchBench
{
    private const int Warmup = 10;

    /// <summary>Cross-process jobs submitted one at a time after a quiet spell (the idle poll backoff's cost).</summary>
    private const int IdleJobs = 5;

    private static readonly TimeSpan IdleGap = TimeSpan.FromSeconds(1.5);

    /// <param name="postgresServer">A postgres:// URL whose user may create databases: run on PostgreSQL (a database per run).</param>
    public static async Task RunAsync(
        int jobs, int intervalMs, int slots, int reps, BenchStats stats, TextWriter progress, CancellationToken ct, string? postgresServer = null)
    {
        var kind = postgresServer is null ? "sqlite" : "postgres";
        for (var rep = 1; rep <= reps; rep++)
        {
            foreach (var mode in new[] { "inproc", "xproc" })
            {
                await using var db = postgresServer is null ? null : await BenchDatabase.CreateAsync(postgresServer, ct);
                var afterIdle = new List<double>();
                var lat = mode == "inproc"
                    ? await InProcAsync(jobs, intervalMs, slots, db?.Url, ct)
                    : await CrossProcAsync(jobs, intervalMs, slots, db?.Url, afterIdle, ct);
                if (afterIdle.Count > 0)
                {
                    afterIdle.Sort();
                    stats.Add($"store={kind} mode={mode} metric=dispatch_after_idle_p50_ms", BenchStats.Percentile(afterIdle, 50));
                    stats.Add($"store={kind} mode={mode} metric=dispatch_after_idle_max_ms", afterIdle[^1]);
                    await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"  rep {rep} {mode} after {IdleGap.TotalSeconds:0.#} s idle: p50 {BenchStats.Percentile(afterIdle, 50):0.00} ms, max {afterIdle[^1]:0.00} ms"));
                }

                lat.Sort();
                var p50 = BenchStats.Percentile(lat, 50);
                var p99 = BenchStats.Percentile(lat, 99);
                stats.Add($"store={kind} mode={mode} metric=dispatch_p50_ms", p50);
                stats.Add($"store={kind} mode={mode} metric=dispatch_p99_ms", p99);
                stats.Add($"store={kind} mode={mode} metric=dispatch_max_ms", lat[^1]);
                await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  rep {rep} {mode}: p50 {p50:0.00} ms, p99 {p99:0.00} ms, max {lat[^1]:0.00} ms"));
            }
        }
    }

    private static async Task<List<double>> InProcAsync(int jobs, int intervalMs, int slots, string? store, CancellationToken ct)
    {
        using var dir = new TempDir();
        await using var rt = await Runtime.OpenAsync(new GlobalOptions.Settings(dir.Path, store, false, null, null), ct);
        var runner = new NoopRunner();
        using var host = new WorkerHost(rt.Store, runner, Options(rt.Home, slots), TimeProvider.System, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var worker = host.RunAsync(stop.Token);
        await Task.Delay(1000, ct);
        var submitted = await SubmitScheduleAsync(rt.Jobs, dir.Path, jobs, intervalMs, ct);
        await WaitUntilAsync(() => submitted.Keys.All(runner.StartedAt.ContainsKey), ct);
        await stop.CancelAsync();
        await worker;
        return submitted.Select(kv => Ms(runner.StartedAt[kv.Key] - kv.Value)).ToList();
    }

    /// <summary>
    /// Steady-rate latencies; <paramref name="afterIdle"/> gets those of <see cref="IdleJobs"/> more jobs each submitted
    /// after <see cref="IdleGap"/> of quiet, when an idle waiter polls least often.
    /// </summary>
    private static async Task<List<double>> CrossProcAsync(
        int jobs, int intervalMs, int slots, string? store, List<double> afterIdle, CancellationToken ct)
    {
        using var dir = new TempDir();
        await using var rt = await Runtime.OpenAsync(new GlobalOptions.Settings(dir.Path, store, false, null, null), ct);
        var started = new ConcurrentDictionary<long, long>();
        var ready = new TaskCompletionSource();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "drover.dll"), "bench", "--child-worker", "--slots", slots.ToString(CultureInfo.InvariantCulture), "--home", dir.Path })
            psi.ArgumentList.Add(a);
        if (store is not null)
        {
            psi.ArgumentList.Add("--store");
            psi.ArgumentList.Add(store);
        }

        using var child = Process.Start(psi)!;
        child.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            if (e.Data == "ready")
                ready.TrySetResult();
            var parts = e.Data.Split(' ');
            if (parts is ["started", var id, var ticks])
                started[long.Parse(id, CultureInfo.InvariantCulture)] = long.Parse(ticks, CultureInfo.InvariantCulture);
        };
        child.BeginOutputReadLine();
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
        await Task.Delay(1000, ct);
        try
        {
            var submitted = await SubmitScheduleAsync(rt.Jobs, dir.Path, jobs, intervalMs, ct);
            await WaitUntilAsync(() => submitted.Keys.All(started.ContainsKey), ct);
            for (var i = 0; i < IdleJobs; i++)
            {
                await Task.Delay(IdleGap, ct);
                var one = await SubmitScheduleAsync(rt.Jobs, dir.Path, 1, intervalMs, ct, warmup: 0);
                await WaitUntilAsync(() => one.Keys.All(started.ContainsKey), ct);
                afterIdle.AddRange(one.Select(kv => Ms(started[kv.Key] - kv.Value)));
            }

            return submitted.Select(kv => Ms(started[kv.Key] - kv.Value)).ToList();
        }
        finally
        {
            child.StandardInput.Close();
            if (!child.WaitForExit(10_000))
                child.Kill();
        }
    }

    /// <summary>The child of the xproc mode: a worker with a no-op runner that reports start times, until stdin closes.</summary>
    public static async Task<int> ChildWorkerAsync(string home, int slots, string? store, CancellationToken ct)
    {
        await using var rt = await Runtime.OpenAsync(new GlobalOptions.Settings(home, store, false, null, null), ct);
        var runner = new NoopRunner { OnStart = (id, ticks) => Console.Out.WriteLine($"started {id} {ticks}") };
        using var host = new WorkerHost(rt.Store, runner, Options(rt.Home, slots), TimeProvider.System, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var worker = host.RunAsync(stop.Token);
        Console.Out.WriteLine("ready");
        await Console.In.ReadToEndAsync(ct);
        await stop.CancelAsync();
        await worker;
        return 0;
    }

    private static WorkerOptions Options(DroverHome home, int slots) => new()
    {
        Name = $"bench-{Environment.ProcessId}",
        Home = home,
        Slots = slots,
        LeaseTtl = TimeSpan.FromSeconds(30),
        Heartbeat = TimeSpan.FromSeconds(10),
    };

    /// <summary>Warm-up jobs first (not measured), then one job every <paramref name="intervalMs"/> on a fixed schedule.</summary>
    private static async Task<Dictionary<long, long>> SubmitScheduleAsync(
        JobService jobs, string cwd, int n, int intervalMs, CancellationToken ct, int warmup = Warmup)
    {
        var stamps = new Dictionary<long, long>();
        var origin = Stopwatch.GetTimestamp();
        for (var i = 0; i < warmup + n; i++)
        {
            var due = origin + (long)(i * intervalMs * (Stopwatch.Frequency / 1000.0));
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
                await Task.Delay(wait, ct);
            var spec = new JsonObject { ["engine"] = "shell", ["command"] = "true", ["lock"] = "none", ["title"] = $"latency {i}" };
            var at = Stopwatch.GetTimestamp();
            var view = await jobs.SubmitAsync(new SubmitRequest(spec, null, null, cwd), ct);
            if (i >= warmup)
                stamps[view.Job.Id] = at;
        }

        return stamps;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken ct)
    {
        var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 60);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
                throw new TimeoutException("not every job started within 60 s");
            await Task.Delay(10, ct);
        }
    }

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
