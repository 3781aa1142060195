using System.Diagnostics;
using System.Text.Json.Nodes;
using Drover.Core.Storage;
using Drover.Server.Jobs;

namespace Drover.Cli.Bench;

/// <summary>
/// Submit throughput and claim+complete throughput on the real store (no-op jobs): SQLite in a temp home, or, with
/// <c>postgresServer</c> (a postgres:// URL whose user may create databases), a fresh PostgreSQL database per run,
/// dropped afterwards.
/// </summary>
public static class StoreBench
{
    public static async Task RunAsync(
        int n, IReadOnlyList<int> workerCounts, int reps, BenchStats stats, TextWriter progress, CancellationToken ct, string? postgresServer = null, long terminalRows = 0)
    {
        var kind = postgresServer is null ? "sqlite" : "postgres";
        if (terminalRows > 0 && postgresServer is null)
            throw new ArgumentException("--terminal-rows: only with --postgres");
        var tag = terminalRows > 0 ? $" terminal_rows={terminalRows}" : "";
        for (var rep = 1; rep <= reps; rep++)
        {
            foreach (var w in workerCounts)
            {
                using var dir = new TempDir();
                await using var db = postgresServer is null ? null : await BenchDatabase.CreateAsync(postgresServer, ct);
                await using var rt = await Runtime.OpenAsync(new GlobalOptions.Settings(dir.Path, db?.Url, false, null, null), ct);
                var submitted = await SubmitAsync(rt.Jobs, n, dir.Path, ct);
                stats.Add($"store={kind} metric=submit_jobs_per_s", submitted);
                if (terminalRows > 0)
                {
                    var fill = Stopwatch.StartNew();
                    await db!.AddTerminalRowsAsync(terminalRows, ct);
                    await progress.WriteLineAsync($"  {terminalRows} succeeded jobs added in {fill.Elapsed.TotalSeconds:0.0} s (then VACUUM ANALYZE)");
                }

                var claimMs = new System.Collections.Concurrent.ConcurrentBag<double>();
                var processed = await ClaimCompleteAsync(rt.Store, n, w, ct, claimMs);
                stats.Add($"store={kind} workers={w}{tag} metric=claim_complete_jobs_per_s", processed);
                var sorted = claimMs.Order().ToList();
                stats.Add($"store={kind} workers={w}{tag} metric=claim_p50_ms", sorted[sorted.Count / 2]);
                stats.Add($"store={kind} workers={w}{tag} metric=claim_p99_ms", sorted[(int)(sorted.Count * 0.99)]);
                await progress.WriteLineAsync(
                    $"  rep {rep} {kind} workers={w}{tag}: submit {submitted:0} jobs/s, claim+complete {processed:0} jobs/s, claim p50 {sorted[sorted.Count / 2]:0.00} ms");
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
    public static async Task<double> ClaimCompleteAsync(
        IJobStore store, int n, int workers, CancellationToken ct, System.Collections.Concurrent.ConcurrentBag<double>? claimMs = null)
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
                    var started = Stopwatch.GetTimestamp();
                    var claimed = await store.JobClaimAsync(new JobClaimParams(name, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(30), 1, caps), ct);
                    if (claimed.Count > 0)
                        claimMs?.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
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

/// <summary>A PostgreSQL database created for one bench run on a server, dropped on dispose.</summary>
public sealed class BenchDatabase : IAsyncDisposable
{
    private readonly string _server;
    private readonly string _name;

    private BenchDatabase(string server, string name, string url)
    {
        _server = server;
        _name = name;
        Url = url;
    }

    /// <summary>postgres:// URL of the new database.</summary>
    public string Url { get; }

    public static async Task<BenchDatabase> CreateAsync(string server, CancellationToken ct)
    {
        var name = "drover_bench_" + Guid.NewGuid().ToString("N")[..10];
        await using (var admin = new Npgsql.NpgsqlConnection(Drover.Storage.Postgres.PostgresJobStore.ToConnectionString(server)))
        {
            await admin.OpenAsync(ct);
            await using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync(ct);
        }

        var uri = new UriBuilder(server) { Path = "/" + name };
        return new BenchDatabase(server, name, uri.Uri.ToString());
    }

    /// <summary>
    /// Copies of the oldest job, as succeeded jobs (no key, no lock), <paramref name="rows"/> of them: the history a
    /// long-lived queue carries. Then VACUUM ANALYZE, as autovacuum would have by then.
    /// </summary>
    public async Task AddTerminalRowsAsync(long rows, CancellationToken ct)
    {
        await using var conn = new Npgsql.NpgsqlConnection(Drover.Storage.Postgres.PostgresJobStore.ToConnectionString(Url));
        await conn.OpenAsync(ct);
        var columns = new List<string>();
        await using (var cols = new Npgsql.NpgsqlCommand(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'jobs' AND column_name <> 'id' ORDER BY ordinal_position", conn))
        await using (var r = await cols.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
                columns.Add(r.GetString(0));
        }

        var values = columns.Select(c => c switch
        {
            "state" => "'succeeded'",
            "key" or "lock_key" or "worker" or "lease_expires_at" => "NULL",
            _ => "t." + c,
        });
        var sql = $"INSERT INTO jobs ({string.Join(", ", columns)}) SELECT {string.Join(", ", values)} " +
            $"FROM jobs t CROSS JOIN generate_series(1, {rows}) WHERE t.id = (SELECT min(id) FROM jobs)";
        await using (var insert = new Npgsql.NpgsqlCommand(sql, conn) { CommandTimeout = 0 })
            await insert.ExecuteNonQueryAsync(ct);
        await using var vacuum = new Npgsql.NpgsqlCommand("VACUUM ANALYZE jobs", conn) { CommandTimeout = 0 };
        await vacuum.ExecuteNonQueryAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        await using var admin = new Npgsql.NpgsqlConnection(Drover.Storage.Postgres.PostgresJobStore.ToConnectionString(_server));
        await admin.OpenAsync();
        await using var drop = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}
