using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Cli;
using Drover.Server.Jobs;

namespace Drover.IntegrationTests;

/// <summary>SPEC §6 with real processes: kill -9, SIGSTOP past the lease, SIGTERM, hung process trees.</summary>
public sealed class RecoveryTests
{
    private static readonly string[] FastWorker = ["--slots", "1", "--lease-ttl", "2s", "--heartbeat", "1s", "--kill-grace", "1s"];

    [Fact]
    public async Task Sigkill_WorkerMidJob_JobRerunsOnAnotherWorkerAndSucceedsOnce()
    {
        using var t = new TestHome();
        await using var a = t.Cli.Start(["worker", "--name", "A", .. FastWorker]);
        var id = await SubmitAsync(t, "echo $DROVER_ATTEMPT >> attempts.txt; sleep 4; echo ok >> done.txt");
        await t.WaitForJobAsync(id, j => j.GetProperty("state").GetString() == "running" && j.GetProperty("worker").GetString() == "A", TimeSpan.FromSeconds(60));

        a.Signal(Native.SIGKILL);
        await a.WaitForExitAsync(TimeSpan.FromSeconds(10));
        await using var b = t.Cli.Start(["worker", "--name", "B", .. FastWorker]);
        var job = await t.WaitForJobAsync(id, j => j.GetProperty("state").GetString() == "succeeded", TimeSpan.FromSeconds(60));

        var attempts = job.GetProperty("attempts");
        attempts.GetArrayLength().ShouldBe(2);
        attempts[0].GetProperty("worker").GetString().ShouldBe("A");
        attempts[0].GetProperty("class").GetString().ShouldBe("lost");
        attempts[1].GetProperty("worker").GetString().ShouldBe("B");
        CountEvents(job, "job.succeeded").ShouldBe(1);
        await Task.Delay(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        // The dead worker's agent died with it: only the re-run wrote its side effect.
        File.ReadAllLines(Path.Combine(t.Scratch, "done.txt")).Length.ShouldBe(1);
    }

    [Fact]
    public async Task Sigstop_WorkerPastLease_ItsLateCompletionIsRejectedAndAgentKilled()
    {
        // A 4 s lease (not 2 s): on a loaded two-core machine a 2 s stall of A before the SIGSTOP would
        // already lose the lease, and the test would observe a different (also correct) history.
        string[] worker = ["--slots", "1", "--lease-ttl", "4s", "--heartbeat", "1s", "--kill-grace", "1s"];
        using var t = new TestHome();
        await using var a = t.Cli.Start(["worker", "--name", "A", .. worker]);
        // A's agent (whichever attempt it is: a loaded machine may already have cost A a lease) sleeps; once B
        // exists, agents finish at once.
        var id = await SubmitAsync(t, "echo $$ > agent-$DROVER_ATTEMPT.pid; if [ ! -e b-started ]; then sleep 60; fi; echo $DROVER_ATTEMPT >> done.txt");
        var running = await t.WaitForJobAsync(id, j => j.GetProperty("state").GetString() == "running" && j.GetProperty("worker").GetString() == "A", TimeSpan.FromSeconds(60));
        var n = running.GetProperty("attempt").GetInt32();
        var pidFile = Path.Combine(t.Scratch, $"agent-{n}.pid");
        // "running" is set at the claim, before the agent starts: stop A only once its agent is really running.
        var until = DateTime.UtcNow.AddSeconds(120);
        while (!File.Exists(pidFile) && DateTime.UtcNow < until)
            await Task.Delay(50, TestContext.Current.CancellationToken);
        File.Exists(pidFile).ShouldBeTrue($"attempt {n}'s agent did not start within 120 s; job: {running}; worker A: {a.Output}");

        await Task.Delay(200, TestContext.Current.CancellationToken);
        var firstAgentHost = Native.HostPid(int.Parse(File.ReadAllText(pidFile).Trim()), "DROVER_WORKSPACE=" + t.Scratch);
        a.Signal(Native.SIGSTOP);
        await File.WriteAllTextAsync(Path.Combine(t.Scratch, "b-started"), "", TestContext.Current.CancellationToken);
        await using var b = t.Cli.Start(["worker", "--name", "B", .. worker]);
        var done = await t.WaitForJobAsync(id, j => j.GetProperty("state").GetString() == "succeeded", TimeSpan.FromSeconds(60));
        var firstAgent = firstAgentHost;
        Native.Alive(firstAgent).ShouldBeTrue($"the stale agent is still running while its worker is stopped; job: {done}");

        a.Signal(Native.SIGCONT);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Native.Alive(firstAgent) && DateTime.UtcNow < deadline)
            await Task.Delay(200, TestContext.Current.CancellationToken);

        Native.Alive(firstAgent).ShouldBeFalse($"the stale worker must kill its agent once it sees the lease is gone; worker A: {a.Output}");
        var job = (await t.Cli.RunAsync("show", id.ToString(), "--json")).Json;
        job.GetProperty("state").GetString().ShouldBe("succeeded");
        CountEvents(job, "job.succeeded").ShouldBe(1, job.ToString());
        var attempts = job.GetProperty("attempts");
        attempts[attempts.GetArrayLength() - 1].GetProperty("worker").GetString().ShouldBe("B");
        File.ReadAllLines(Path.Combine(t.Scratch, "done.txt")).ShouldBe([job.GetProperty("attempt").GetInt32().ToString()], "only B's attempt finished; A's was killed");
    }

    [Fact]
    public async Task Timeout_GrandchildIgnoringSigterm_LeavesNoProcessBehind()
    {
        using var t = new TestHome();
        await using var serve = t.Cli.Start(["serve", "--port", "0", .. FastWorker]);
        await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));

        var r = await t.Cli.RunInAsync(
            t.Scratch,
            "submit", "--command", "sh -c 'trap \"\" TERM; sleep 300' & echo $! > grandchild.pid; trap '' TERM; wait",
            "--timeout", "4s", "--max-attempts", "1", "--json");
        r.ExitCode.ShouldBe(0, r.ToString());
        var pidFile = Path.Combine(t.Scratch, "grandchild.pid");
        var until = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(pidFile) && DateTime.UtcNow < until)
            await Task.Delay(50, TestContext.Current.CancellationToken);
        await Task.Delay(200, TestContext.Current.CancellationToken);
        var pid = Native.HostPid(int.Parse(File.ReadAllText(pidFile).Trim()), "DROVER_WORKSPACE=" + t.Scratch);
        Native.Alive(pid).ShouldBeTrue();

        var job = await t.WaitForJobAsync(r.Json.GetProperty("id").GetInt64(), j => j.GetProperty("state").GetString() == "failed", TimeSpan.FromSeconds(60));
        job.GetProperty("attempts")[0].GetProperty("class").GetString().ShouldBe("timeout", job.ToString());
        Native.Alive(pid).ShouldBeFalse();
    }

    [Fact]
    public async Task Sigterm_ServeMidJob_ReleasesTheJobAndLosesNothing()
    {
        using var t = new TestHome();
        await using (var serve = t.Cli.Start(["serve", "--port", "0", "--grace", "1s", .. FastWorker]))
        {
            await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
            var id = await SubmitAsync(t, "echo $DROVER_ATTEMPT >> attempts.txt; sleep 5; echo ok >> done.txt", maxAttempts: 1);
            await t.WaitForJobAsync(id, j => j.GetProperty("state").GetString() == "running", TimeSpan.FromSeconds(60));

            serve.Signal(Native.SIGTERM);
            (await serve.WaitForExitAsync(TimeSpan.FromSeconds(30))).ShouldBeTrue(serve.Output);
            serve.Process.ExitCode.ShouldBe(0, serve.Output);
            var released = (await t.Cli.RunAsync("show", id.ToString(), "--json")).Json;
            released.GetProperty("state").GetString().ShouldBe("queued");
            released.GetProperty("failures").GetInt32().ShouldBe(0);

            await using var again = t.Cli.Start(["serve", "--port", "0", .. FastWorker]);
            await t.WaitForServerAsync(again, TimeSpan.FromSeconds(60));
            var job = await t.WaitForJobAsync(id, j => j.GetProperty("state").GetString() == "succeeded", TimeSpan.FromSeconds(60));
            CountEvents(job, "job.released").ShouldBe(1);
        }

        File.ReadAllLines(Path.Combine(t.Scratch, "done.txt")).Length.ShouldBe(1);
        File.ReadAllLines(Path.Combine(t.Scratch, "attempts.txt")).ShouldBe(["1", "2"]);
    }

    [Fact]
    public async Task FourWorkerProcesses_OneSqliteFile_Drain5000JobsEachExecutedOnce()
    {
        using var t = new TestHome();
        const int jobs = 5000;
        var ct = TestContext.Current.CancellationToken;
        await using (var rt = await Runtime.OpenAsync(new GlobalOptions.Settings(t.Home, null, false, null, null), ct))
        {
            for (var i = 0; i < jobs; i++)
            {
                var spec = new JsonObject
                {
                    ["engine"] = "shell",
                    ["command"] = "echo $DROVER_JOB_ID >> executed.txt",
                    ["lock"] = "none",
                    ["title"] = $"drain {i}",
                };
                await rt.Jobs.SubmitAsync(new SubmitRequest(spec, null, null, t.Scratch), ct);
            }
        }

        var workers = new List<BackgroundProcess>();
        try
        {
            for (var w = 0; w < 4; w++)
                workers.Add(t.Cli.Start("worker", "--name", $"w{w}", "--slots", "4", "--lease-ttl", "30s", "--heartbeat", "2s"));
            var deadline = DateTime.UtcNow.AddMinutes(8);
            while (DateTime.UtcNow < deadline)
            {
                var status = (await t.Cli.RunAsync("status", "--json")).Json.GetProperty("counts");
                if (status.GetProperty("succeeded").GetInt64() + status.GetProperty("failed").GetInt64() == jobs)
                    break;
                await Task.Delay(1000, ct);
            }
        }
        finally
        {
            foreach (var w in workers)
                await w.DisposeAsync();
        }

        var counts = (await t.Cli.RunAsync("status", "--json")).Json.GetProperty("counts");
        counts.GetProperty("succeeded").GetInt64().ShouldBe(jobs);
        var executed = File.ReadAllLines(Path.Combine(t.Scratch, "executed.txt"));
        executed.Length.ShouldBe(jobs);
        executed.Distinct().Count().ShouldBe(jobs);
    }

    [Fact]
    public async Task Worker_IdleThenBurst_KeepsClaimingUntilTheQueueIsEmpty()
    {
        // Regression: idle waits that a store change ended early used to leave behind slot waiters that
        // swallowed later "slot freed" signals, so a worker with full slots never claimed again.
        using var t = new TestHome();
        await using var w = t.Cli.Start("worker", "--name", "W", "--slots", "2", "--lease-ttl", "5s", "--heartbeat", "1s");
        var first = await SubmitAsync(t, "true");
        await t.WaitForJobAsync(first, j => j.GetProperty("state").GetString() == "succeeded", TimeSpan.FromSeconds(60));
        for (var i = 0; i < 4; i++)
        {
            // Each submit is a store change that ends an idle wait early.
            await SubmitAsync(t, "true");
            await Task.Delay(TimeSpan.FromMilliseconds(700), TestContext.Current.CancellationToken);
        }

        var burst = new List<long>();
        for (var i = 0; i < 8; i++)
            burst.Add(await SubmitAsync(t, "sleep 0.3"));
        foreach (var id in burst)
            await t.WaitForJobAsync(id, j => j.GetProperty("state").GetString() == "succeeded", TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Worker_EngineMaxConcurrency_NeverRunsMoreThanTheLimitAtOnce()
    {
        using var t = new TestHome();
        File.WriteAllText(Path.Combine(t.Home, "drover.toml"), "[engines.shell]\nmax_concurrency = 1\n");
        await using var w = t.Cli.Start("worker", "--name", "W", "--slots", "3", "--lease-ttl", "5s", "--heartbeat", "1s");
        var ids = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            var r = await t.Cli.RunInAsync(t.Scratch, "submit", "--command", "echo \"+ $(date +%s%N)\" >> spans.txt; sleep 0.5; echo \"- $(date +%s%N)\" >> spans.txt",
                "--lock", "none", "--json");
            r.ExitCode.ShouldBe(0, r.ToString());
            ids.Add(r.Json.GetProperty("id").GetInt64());
        }

        foreach (var id in ids)
            await t.WaitForJobAsync(id, j => j.GetProperty("state").GetString() == "succeeded", TimeSpan.FromSeconds(60));

        // Replay the start (+) and end (-) marks in time order: the most running at once is the limit, not the 3 slots.
        var marks = File.ReadAllLines(Path.Combine(t.Scratch, "spans.txt"))
            .Select(l => (Time: long.Parse(l[2..], System.Globalization.CultureInfo.InvariantCulture), Delta: l[0] == '+' ? 1 : -1))
            .OrderBy(m => m.Time).ThenBy(m => m.Delta);
        var (running, most) = (0, 0);
        foreach (var m in marks)
            most = Math.Max(most, running += m.Delta);
        most.ShouldBe(1);
    }

    private static async Task<long> SubmitAsync(TestHome t, string command, int maxAttempts = 3)
    {
        var r = await t.Cli.RunInAsync(t.Scratch, "submit", "--command", command, "--max-attempts", maxAttempts.ToString(), "--backoff", "1s", "--json");
        r.ExitCode.ShouldBe(0, r.ToString());
        return r.Json.GetProperty("id").GetInt64();
    }

    private static int CountEvents(JsonElement job, string type) =>
        job.GetProperty("events").EnumerateArray().Count(e => e.GetProperty("type").GetString() == type);
}
