using System.Text.Json.Nodes;
using Drover.Core.Configuration;
using Drover.Core.Schedules;
using Drover.Core.Storage;
using Drover.Engines.Workspaces;
using Drover.Server.Hosting;
using Drover.Server.Jobs;
using Drover.Server.Schedules;
using Drover.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Drover.IntegrationTests.Schedules;

/// <summary>The serve loop over a real SQLite store with a fake clock: downtime, catch-up and the next tick.</summary>
public sealed class ScheduleLoopTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 30, TimeSpan.Zero);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("drover-sched-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("once", 1)]
    [InlineData("skip", 0)]
    public async Task Pass_AfterDowntimeOfFourTicks_CatchUpMakesOneJobOrNone_ThenTheNextTickRuns(string catchUp, int afterDowntime)
    {
        await using var store = await SqliteJobStore.OpenAsync(Path.Combine(_dir.FullName, "drover.db"), Ct);
        var time = new FakeTimeProvider(T0);
        var jobs = new JobService(store, new GitRepoInspector(), DroverConfig.Default.SpecContext, new DroverHome(_dir.FullName), time, TimeSpan.FromSeconds(30));
        var template = new JsonObject { ["repo"] = _dir.FullName, ["command"] = "true" };
        await jobs.SyncSchedulesAsync([new ScheduleDefinition("minutely", "* * * * *", "UTC", template, "queue", catchUp)], Ct);
        var loop = new ScheduleLoop(store, jobs, time, NullLogger.Instance);

        time.SetUtcNow(T0.AddMinutes(5)); // ticks 00:01 … 00:05 passed with no serve running
        await loop.PassAsync(Ct);
        var missed = await CountAsync(store);
        var next = (await store.ScheduleGetAsync("minutely", Ct))!.NextAt;
        time.SetUtcNow(new DateTimeOffset(2030, 1, 1, 0, 6, 2, TimeSpan.Zero));
        var sleep = await loop.PassAsync(Ct);
        var onTime = await CountAsync(store);

        missed.ShouldBe(afterDowntime);
        next.ShouldBe(new DateTimeOffset(2030, 1, 1, 0, 6, 0, TimeSpan.Zero));
        onTime.ShouldBe(afterDowntime + 1);
        sleep.ShouldBeLessThanOrEqualTo(ScheduleLoop.MaxSleep);
        (await store.ScheduleGetAsync("minutely", Ct))!.NextAt.ShouldBe(new DateTimeOffset(2030, 1, 1, 0, 7, 0, TimeSpan.Zero));
    }

    [Fact]
    public async Task Pass_NothingDue_SleepsUntilTheNextTickCappedAtThirtySeconds()
    {
        await using var store = await SqliteJobStore.OpenAsync(Path.Combine(_dir.FullName, "drover.db"), Ct);
        var time = new FakeTimeProvider(T0);
        var jobs = new JobService(store, new GitRepoInspector(), DroverConfig.Default.SpecContext, new DroverHome(_dir.FullName), time, TimeSpan.FromSeconds(30));
        var template = new JsonObject { ["repo"] = _dir.FullName, ["command"] = "true" };
        await jobs.SyncSchedulesAsync([new ScheduleDefinition("soon", "40 * * * * *", "UTC", template)], Ct);
        var loop = new ScheduleLoop(store, jobs, time, NullLogger.Instance);

        var nearly = await loop.PassAsync(Ct);
        await jobs.SyncSchedulesAsync([new ScheduleDefinition("later", "0 3 * * *", "UTC", template)], Ct);
        var capped = await loop.PassAsync(Ct);

        nearly.ShouldBe(TimeSpan.FromSeconds(10));
        capped.ShouldBe(ScheduleLoop.MaxSleep);
        (await CountAsync(store)).ShouldBe(0);
    }

    private static async Task<int> CountAsync(SqliteJobStore store) =>
        (await store.JobListAsync(new JobListParams(Limit: 100), Ct)).Jobs.Count;

    public void Dispose() => _dir.Delete(recursive: true);
}
