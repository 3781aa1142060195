using Drover.Core.Configuration;
using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Core.Storage;
using Drover.Server.Reports;
using Drover.Storage.Postgres;
using Drover.Storage.Postgres.Testing;
using Drover.Storage.Sqlite;

namespace Drover.IntegrationTests.Reports;

/// <summary>
/// A report read from a real store seeded through <see cref="IJobStore"/> with 30 days of a two-worker fleet, the store
/// driven by explicit times: w1 (2 slots) is lost at 09:00 on 2030-03-11 and back at 11:00, w2 (1 slot) stops at
/// 08:00 that day and is back at 12:00, so the fleet is down 09:00–11:00; one job runs on w1 00:00–12:00 every day
/// but that one (the 5th's fails with timeout), each costing $0.10; the gateway spends $2.50 on the 3rd.
/// </summary>
public abstract class FleetReportStoreTests
{
    protected static readonly DateTimeOffset Now = new(2030, 3, 31, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset From = new(2030, 3, 2, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan HeartbeatTimeout = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract Task<IJobStore> OpenStoreAsync();

    private static DateTimeOffset Day(int n, double hour = 0) => From.AddDays(n - 1).AddHours(hour);

    private static async Task SeedAsync(IJobStore store)
    {
        await store.WorkerRegisterAsync(new WorkerRegisterParams("w1", "host-a", 1, 2, [], Day(1)), Ct);
        await store.WorkerRegisterAsync(new WorkerRegisterParams("w2", "host-b", 2, 1, [], Day(1)), Ct);
        for (var day = 1; day <= 30; day++)
        {
            if (day == 10)
                continue;
            var spec = new JobSpec
            {
                Title = $"day {day}",
                Prompt = "p",
                Engine = "shell",
                CommandLine = "true",
                Repo = "/tmp/repo",
                Retry = RetryPolicy.Default with { MaxAttempts = 1 },
            };
            var json = JobSpecJson.Serialize(spec);
            await store.JobInsertAsync(new JobInsertParams(spec, json, JobSpecJson.Hash(json), Day(day)), Ct);
            var job = (await store.JobClaimAsync(new JobClaimParams("w1", Day(day), TimeSpan.FromHours(13), 1, ["engine:shell"]), Ct)).Single();
            var outcome = day == 5 ? AttemptOutcome.Failure(FailureClass.Timeout, "too slow") : AttemptOutcome.Success();
            var usage = new UsageRecord(10, 0, 10, 0.10m, "reported", "m");
            var done = await store.JobCompleteAsync(new JobCompleteParams(job.Id, job.Epoch, Day(day, 12), outcome, new AttemptResult(0, usage), 0.5), Ct);
            done.Applied.ShouldBeTrue();
        }

        // The 10th: w2 stops at 08:00, w1's last heartbeat is just before 09:00 and the reaper marks it lost at 09:01,
        // which the report reads as a death at 09:01 less the 60 s timeout.
        await store.WorkerStopAsync(new WorkerStopParams("w2", Day(10, 8)), Ct);
        await store.WorkerHeartbeatAsync(new WorkerHeartbeatParams("w1", Day(10, 9).AddSeconds(-1), "idle", []), Ct);
        (await store.WorkerRescueLostAsync(new WorkerRescueParams(Day(10, 9) + HeartbeatTimeout, HeartbeatTimeout, 0.5), Ct)).ShouldBe(["w1"]);
        await store.WorkerRegisterAsync(new WorkerRegisterParams("w1", "host-a", 3, 2, [], Day(10, 11)), Ct);
        await store.WorkerRegisterAsync(new WorkerRegisterParams("w2", "host-b", 4, 1, [], Day(10, 12)), Ct);

        await store.SpendAppendAsync(new SpendRecord(Day(3, 15), null, null, "p", "m", null, "ok", 200, 100, 0, 100, 0, 2.5m, 10, null), Ct);
        await store.WorkerHeartbeatAsync(new WorkerHeartbeatParams("w1", Now.AddSeconds(-5), "busy", []), Ct);
        await store.WorkerHeartbeatAsync(new WorkerHeartbeatParams("w2", Now.AddSeconds(-5), "idle", []), Ct);
    }

    [Fact]
    public async Task Report_ThirtySeededDays_UptimeCapacityLossesSpendAndGate()
    {
        await using var store = await OpenStoreAsync();
        await SeedAsync(store);

        var r = await FleetReportLoader.LoadAsync(store, new ReportConfig(), 30, Now, HeartbeatTimeout, Ct);

        r.From.ShouldBe(From);
        r.Overall.DaysCounted.ShouldBe(30);
        r.Overall.DaysAtTarget.ShouldBe(29);
        var lossDay = r.Days.Single(d => d.Date == "2030-03-11");
        lossDay.Uptime!.Value.ShouldBe(22.0 / 24, 0.0001);
        lossDay.WorkerLosses.ShouldBe(1);
        lossDay.MttrS.ShouldBe(7200);
        r.Days.Where(d => d.Date != "2030-03-11").ShouldAllBe(d => d.Uptime == 1.0);
        const double Covered = (29 * 24) + 12;
        r.Overall.Uptime!.Value.ShouldBe((Covered - 2) / Covered, 0.0001);
        r.Overall.BusyS.ShouldBe(29 * 12 * 3600);
        r.Overall.AvailableS.ShouldBe(((2 * (Covered - 2)) + (Covered - 4)) * 3600);
        r.Overall.Capacity!.Value.ShouldBe(29 * 12 / ((2 * (Covered - 2)) + (Covered - 4)), 0.0001);
        r.Overall.Jobs.ShouldBe(new ReportJobs(28, 1, 0));
        r.Overall.FailureClasses.ShouldBe(new Dictionary<string, long> { ["timeout"] = 1 });
        r.Overall.SpendUsd.ShouldBe(2.9m);
        r.Overall.GatewaySpendUsd.ShouldBe(2.5m);
        r.Days.Single(d => d.Date == "2030-03-04").GatewaySpendUsd.ShouldBe(2.5m);
        r.Workers.Select(w => (w.Name, w.Host, w.Losses)).ShouldBe([("w1", "host-a", 1), ("w2", "host-b", 0)]);
        r.Gate.Ready.ShouldBeFalse();
        r.Gate.Missing.ShouldBe(["1 day below 95% uptime: 2030-03-11 91.7%", "capacity 16.4% below 60%"]);
    }

    [Fact]
    public async Task Report_TargetsTheSeededFleetMeets_GateReady()
    {
        await using var store = await OpenStoreAsync();
        await SeedAsync(store);

        var targets = new ReportConfig { UptimeTarget = 0.9, CapacityTarget = 0.15, Days = 30 };
        var r = await FleetReportLoader.LoadAsync(store, targets, 30, Now, HeartbeatTimeout, Ct);

        r.Gate.Line.ShouldBe("Next phase: READY");
        r.Overall.DaysAtTarget.ShouldBe(30);
    }
}

public sealed class SqliteFleetReportTests : FleetReportStoreTests, IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"drover-report-{Guid.NewGuid():N}.db");

    protected override async Task<IJobStore> OpenStoreAsync()
    {
        var store = new SqliteJobStore(new SqliteStoreOptions { Path = _path });
        await store.MigrateAsync(TestContext.Current.CancellationToken);
        return store;
    }

    public void Dispose()
    {
        foreach (var f in new[] { _path, _path + "-wal", _path + "-shm" })
            File.Delete(f);
    }
}

public sealed class PostgresFleetReportTests(PostgresCluster pg) : FleetReportStoreTests, IClassFixture<PostgresCluster>
{
    protected override async Task<IJobStore> OpenStoreAsync() =>
        await PostgresJobStore.OpenAsync(await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);
}
