using Drover.Core.Jobs;
using Drover.Server.Supervision;

namespace Drover.IntegrationTests.Gates;

/// <summary><c>[fleet] min_free_memory</c>: a worker claims nothing while less memory is available, and says so.</summary>
public sealed class MemoryGateTests
{
    [Fact]
    public async Task ClaimLoop_AvailableMemoryBelowMinFreeMemory_ClaimsNothingSaysWhyThenRunsOnceFreed()
    {
        var ct = TestContext.Current.CancellationToken;
        using var t = new TestHome();
        await File.WriteAllTextAsync(Path.Combine(t.Home, "drover.toml"), "[fleet]\nmin_free_memory = \"512MB\"\n", ct);
        await using var w = await InProcessWorker.OpenAsync(t.Home);
        w.Runtime.Config.Fleet.MinFreeMemoryBytes.ShouldBe(512L << 20);
        var id = await w.SubmitAsync($$"""{"title": "small", "command": "echo ok", "repo": {{System.Text.Json.JsonSerializer.Serialize(t.Scratch)}}}""", t.Scratch);
        long free = 310L << 20;
        // Only the reading is simulated; the gate, the worker row and every view of it are the real ones.
        w.Start(w.Options("small-box", 1) with { Resources = new HostResources(() => Interlocked.Read(ref free)) });

        const string Gate = "free memory 310 MiB < 512 MiB (min_free_memory)";
        await InProcessWorker.WaitUntilAsync(async () => (await w.Runtime.Jobs.WorkersAsync(ct)).SingleOrDefault()?.Gate == Gate, TimeSpan.FromSeconds(10));
        await Task.Delay(TimeSpan.FromSeconds(1.5), ct);
        var job = await w.Runtime.Store.JobGetAsync(id, ct);
        job!.State.ShouldBe(JobState.Queued);
        job.Attempt.ShouldBe(0);

        var status = await t.Cli.RunAsync("status", "--json");
        status.Json.GetProperty("workers")[0].GetProperty("gate").GetString().ShouldBe(Gate);
        status.Json.GetProperty("host").GetProperty("min_free_memory_bytes").GetInt64().ShouldBe(512L << 20);
        status.Json.GetProperty("host").GetProperty("free_memory_bytes").GetInt64().ShouldBeGreaterThan(0);
        // The console may wrap the line: compare with runs of white space folded.
        System.Text.RegularExpressions.Regex.Replace((await t.Cli.RunAsync("status")).Stdout, @"\s+", " ")
            .ShouldContain("gate: worker small-box claims nothing: " + Gate);
        var check = await t.Cli.RunAsync("status", "--check");
        check.ExitCode.ShouldBe(1, check.ToString());
        check.Stdout.ShouldContain("worker small-box on ");
        check.Stdout.ShouldContain("claims nothing: " + Gate);
        (await t.Cli.RunAsync("show", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json"))
            .Json.GetProperty("why").GetString().ShouldBe("no worker is claiming: small-box " + Gate);

        Interlocked.Exchange(ref free, 4L << 30);
        await InProcessWorker.WaitUntilAsync(async () => (await w.Runtime.Store.JobGetAsync(id, ct))!.State == JobState.Succeeded, TimeSpan.FromSeconds(20));
        await InProcessWorker.WaitUntilAsync(async () => (await w.Runtime.Jobs.WorkersAsync(ct)).Single().Gate is null, TimeSpan.FromSeconds(10));
        (await t.Cli.RunAsync("status", "--check")).ExitCode.ShouldBe(0);
    }

    [Fact]
    public void Gate_DiskBelowMinFreeDisk_NamesTheHomeAndTheSetting()
    {
        var resources = new HostResources(() => 8L << 30, _ => 1536L << 20);

        resources.Gate(0, 2L << 30, "/srv/drover").ShouldBe("free disk 1.5 GiB < 2 GiB on /srv/drover (min_free_disk)");
        resources.Gate(0, 1L << 30, "/srv/drover").ShouldBeNull();
        resources.Gate(16L << 30, 0, "/srv/drover").ShouldBe("free memory 8 GiB < 16 GiB (min_free_memory)");
    }
}
