using System.Diagnostics;
using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Core.Storage;

namespace Drover.Storage.Sqlite.Tests;

/// <summary>
/// A rough throughput figure (explicit: run with <c>dotnet test -- --explicit only</c> in Release).
/// The real numbers belong to bench/; this keeps a regression in the hot path visible meanwhile.
/// </summary>
public sealed class SqliteThroughputTests : IAsyncDisposable
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly SqliteTestDatabase _db = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync() => _db.DeleteAsync();

    [Theory(Explicit = true)]
    [InlineData(1)]
    [InlineData(4)]
    public async Task ClaimComplete_EightClaimers_ReportsJobsPerSecond(int batch)
    {
        const int jobs = 20_000;
        await using var store = await SqliteJobStore.OpenAsync(_db.Path, Ct);
        var spec = new JobSpec { Title = "bench", Engine = "shell", Repo = "/tmp/repo" };
        var json = JobSpecJson.Serialize(spec);
        var hash = JobSpecJson.Hash(json);
        var insert = Stopwatch.StartNew();
        for (var i = 0; i < jobs; i++)
            await store.JobInsertAsync(new JobInsertParams(spec, json, hash, T0), Ct);
        var insertRate = jobs / insert.Elapsed.TotalSeconds;

        var done = 0;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(
            async () =>
            {
                while (true)
                {
                    var claimed = await store.JobClaimAsync(new JobClaimParams($"w{w}", T0, TimeSpan.FromSeconds(30), batch, ["engine:shell"]), Ct);
                    if (claimed.Count == 0)
                        return;
                    foreach (var job in claimed)
                    {
                        var r = await store.JobCompleteAsync(
                            new JobCompleteParams(job.Id, job.Epoch, T0, AttemptOutcome.Success(), new AttemptResult(ExitCode: 0), 0.5), Ct);
                        r.Applied.ShouldBeTrue();
                        Interlocked.Increment(ref done);
                    }
                }
            },
            Ct)));
        var rate = done / sw.Elapsed.TotalSeconds;

        TestContext.Current.SendDiagnosticMessage(
            $"bench store=sqlite workers=8 batch={batch} metric=claim_complete_jobs_per_s value={rate:F0} insert_jobs_per_s={insertRate:F0}");
        done.ShouldBe(jobs);
        (await store.JobCountsAsync(Ct))[JobState.Succeeded].ShouldBe(jobs);
    }
}
