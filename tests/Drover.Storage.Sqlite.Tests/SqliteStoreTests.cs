using System.Diagnostics;
using Drover.Core;
using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Drover.Storage.Sqlite.Tests;

/// <summary>What only the SQLite backend has: files, migrations, WAL change detection.</summary>
public sealed class SqliteStoreTests : IAsyncDisposable
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly SqliteTestDatabase _db = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync() => _db.DeleteAsync();

    [Fact]
    public async Task Migrate_RunTwice_RecordsEachVersionOnce()
    {
        await using var store = new SqliteJobStore(new SqliteStoreOptions { Path = _db.Path });

        await store.MigrateAsync(Ct);
        await store.MigrateAsync(Ct);

        (await AppliedVersionsAsync()).ShouldBe(SqliteJobStore.KnownSchemaVersions);
    }

    [Fact]
    public async Task Migrate_EightStoresAtOnce_AllSucceedAndSchemaAppliedOnce()
    {
        var stores = Enumerable.Range(0, 8).Select(_ => new SqliteJobStore(new SqliteStoreOptions { Path = _db.Path })).ToList();
        try
        {
            await Task.WhenAll(stores.Select(s => Task.Run(() => s.MigrateAsync(Ct), Ct)));

            (await AppliedVersionsAsync()).ShouldBe(SqliteJobStore.KnownSchemaVersions);
            await Submit(stores[3], "after migration");
            (await stores[5].JobCountsAsync(Ct))[JobState.Queued].ShouldBe(1);
        }
        finally
        {
            foreach (var s in stores)
                await s.DisposeAsync();
        }
    }

    [Fact]
    public async Task Reopen_AfterDispose_DataSurvives()
    {
        long id;
        await using (var store = await SqliteJobStore.OpenAsync(_db.Path, Ct))
        {
            id = (await Submit(store, "persisted")).Id;
            await store.JobClaimAsync(new JobClaimParams("w1", T0, TimeSpan.FromSeconds(30), 1, ["engine:shell"]), Ct);
        }

        await using var reopened = await SqliteJobStore.OpenAsync(_db.Path, Ct);
        var job = await reopened.JobGetAsync(id, Ct);

        job.ShouldNotBeNull().Title.ShouldBe("persisted");
        job.State.ShouldBe(JobState.Running);
        job.LeaseExpiresAt.ShouldBe(T0.AddSeconds(30));
    }

    [Fact]
    public async Task Open_DurabilityFull_WorksAndUsesWal()
    {
        await using var store = new SqliteJobStore(new SqliteStoreOptions { Path = _db.Path, Durability = SqliteDurability.Full });
        await store.MigrateAsync(Ct);

        await Submit(store, "full");

        (await store.JobCountsAsync(Ct))[JobState.Queued].ShouldBe(1);
        (await ScalarAsync("PRAGMA journal_mode")).ShouldBe("wal");
    }

    [Fact]
    public void Options_EmptyPath_Rejected()
    {
        Should.Throw<ArgumentException>(() => new SqliteJobStore(new SqliteStoreOptions { Path = " " }));
    }

    [Fact]
    public async Task WaitForChange_OtherInstanceCommits_WakesWithinMilliseconds()
    {
        await using var waiter = await SqliteJobStore.OpenAsync(_db.Path, Ct);
        await using var writer = await SqliteJobStore.OpenAsync(_db.Path, Ct);
        var latencies = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var wait = waiter.WaitForChangeAsync(TimeSpan.FromSeconds(10), Ct);
            await Task.Delay(20, Ct); // let the poller take its baseline
            await Submit(writer, $"j{i}");
            var sw = Stopwatch.StartNew();
            await wait;
            latencies.Add(sw.Elapsed.TotalMilliseconds);
        }

        TestContext.Current.SendDiagnosticMessage($"wake latencies ms: {string.Join(", ", latencies.Select(l => l.ToString("F1")))}");
        // The poll interval is 2 ms; the bound is loose because CI machines are shared.
        latencies.Order().ElementAt(2).ShouldBeLessThan(100);
    }

    [Fact]
    public async Task WaitForChange_StoreDisposed_WaiterReleased()
    {
        var store = await SqliteJobStore.OpenAsync(_db.Path, Ct);
        var wait = store.WaitForChangeAsync(TimeSpan.FromSeconds(30), Ct);

        await store.DisposeAsync();

        (await Task.WhenAny(wait, Task.Delay(TimeSpan.FromSeconds(10), Ct))).ShouldBe(wait);
    }

    [Fact]
    public async Task Write_FailingAndSucceedingOpsConcurrently_OnlyFailuresRolledBack()
    {
        await using var store = await SqliteJobStore.OpenAsync(_db.Path, Ct);

        var tasks = Enumerable.Range(0, 40).Select(i => Task.Run(
            async () =>
            {
                var spec = new JobSpec { Title = $"j{i}", Engine = "shell", Repo = "/tmp/repo", After = i % 2 == 0 ? [] : ["missing"] };
                var json = JobSpecJson.Serialize(spec);
                await store.JobInsertAsync(new JobInsertParams(spec, json, JobSpecJson.Hash(json), T0), Ct);
            },
            Ct)).ToList();
        await Should.ThrowAsync<JobSpecException>(() => Task.WhenAll(tasks));

        tasks.Count(t => t.IsFaulted).ShouldBe(20);
        tasks.Where(t => t.IsFaulted).ShouldAllBe(t => t.Exception!.InnerException is JobSpecException);
        (await store.JobCountsAsync(Ct))[JobState.Queued].ShouldBe(20);
        (await store.EventListAsync(new EventListParams(), Ct)).Count.ShouldBe(20);
    }

    private static async Task<JobRecord> Submit(SqliteJobStore store, string title)
    {
        var spec = new JobSpec { Title = title, Engine = "shell", Repo = "/tmp/repo" };
        var json = JobSpecJson.Serialize(spec);
        return (await store.JobInsertAsync(new JobInsertParams(spec, json, JobSpecJson.Hash(json), T0), Ct)).Job;
    }

    private async Task<List<long>> AppliedVersionsAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={_db.Path};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT version FROM schema_migrations ORDER BY version";
        var list = new List<long>();
        await using var r = await cmd.ExecuteReaderAsync(Ct);
        while (await r.ReadAsync(Ct))
            list.Add(r.GetInt64(0));
        return list;
    }

    private async Task<string?> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={_db.Path};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return (string?)await cmd.ExecuteScalarAsync(Ct);
    }
}
