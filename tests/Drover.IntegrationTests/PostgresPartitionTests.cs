using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Drover.Storage.Postgres.Testing;

namespace Drover.IntegrationTests;

/// <summary>
/// A real network partition: one worker runs in a network namespace the test creates, joined to the host by a veth
/// pair with addresses only on that link, and reaches PostgreSQL over it. The test cuts the link while the worker
/// runs a job, lets the lease expire and another worker finish the job, then restores the link.
/// </summary>
public sealed class PostgresPartitionTests(PostgresCluster pg) : IClassFixture<PostgresCluster>
{
    [Fact]
    public async Task AWorkerCutOffMidJob_StopsItsAgent_AnotherFinishesTheJob_AndTheLateWorkerChangesNothing()
    {
        using var link = PartitionLink.TryCreate(out var why);
        if (link is null)
            Assert.Skip($"cannot create a network namespace and a veth pair here ({why}); the SIGSTOP test of a frozen database covers the same fencing");
        await pg.ListenAlsoOnAsync(link.HostAddress, link.Cidr);
        var ct = TestContext.Current.CancellationToken;

        using var t = new TestHome();
        var database = await pg.NewDatabaseAsync();
        t.Cli.Env["DROVER_STORE"] = pg.StoreUrl(database);
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "0", "--lease-ttl", "4s", "--heartbeat", "1s"]);
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        using var http = t.Http(url);

        // Worker A: inside the namespace, its store reached over the link.
        var inside = new DroverCli(t.Home) { Prefix = link.Prefix };
        var overLink = $"postgres://drover@{link.HostAddress}:{pg.Port}/{new Npgsql.NpgsqlConnectionStringBuilder(database).Database}";
        await using var a = inside.Start(["worker", "--store", overLink, "--name", "host-a", "--slots", "1", "--lease-ttl", "4s", "--heartbeat", "1s", "--kill-grace", "1s"]);

        var body = JsonSerializer.Serialize(new
        {
            title = "partitioned",
            command = "if [ -e first ]; then echo \"$DROVER_JOB_ID $DROVER_ATTEMPT\" >> side-effects.txt; exit 0; fi; " +
                "touch first; echo $$ > agent.pid; sleep 60; echo \"$DROVER_JOB_ID $DROVER_ATTEMPT\" >> side-effects.txt",
            repo = t.Scratch,
            @lock = "none",
        });
        using var submitted = await http.PostAsync("/api/jobs", new StringContent(body, Encoding.UTF8, "application/json"), ct);
        var id = JsonDocument.Parse(await submitted.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("job").GetProperty("id").GetInt64();
        var pidFile = Path.Combine(t.Scratch, "agent.pid");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !File.Exists(pidFile))
            await Task.Delay(50, ct);
        File.Exists(pidFile).ShouldBeTrue($"host-a never started the agent\n{a.Output}");
        await Task.Delay(200, ct);
        var agent = Native.HostPid(int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture), "DROVER_WORKSPACE=" + t.Scratch);

        // Cut the link; a worker on this side of it takes over once the lease has expired.
        await link.CutAsync();
        var cut = Stopwatch.StartNew();
        await using var b = t.Cli.Start(["worker", "--name", "host-b", "--slots", "1", "--lease-ttl", "4s", "--heartbeat", "1s", "--kill-grace", "1s"]);
        double? agentStoppedAfter = null;
        JsonElement job = default;
        while (cut.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (agentStoppedAfter is null && !Native.Alive(agent))
                agentStoppedAfter = cut.Elapsed.TotalSeconds;
            job = JsonDocument.Parse(await http.GetStringAsync($"/api/jobs/{id}", ct)).RootElement;
            if (job.GetProperty("state").GetString() == "succeeded" && agentStoppedAfter is not null)
                break;
            await Task.Delay(100, ct);
        }

        agentStoppedAfter.ShouldNotBeNull($"host-a's agent outlived its lease with the link down\nhost-a: {a.Output}");
        agentStoppedAfter.Value.ShouldBeLessThan(8, a.Output);
        job.GetProperty("state").GetString().ShouldBe("succeeded", $"host-b: {b.Output}");
        job.GetProperty("attempt").GetInt32().ShouldBe(2);

        // Restore the link: host-a comes back, and nothing it does changes the finished job.
        await link.RestoreAsync();
        var back = Stopwatch.StartNew();
        var aBack = false;
        while (back.Elapsed < TimeSpan.FromSeconds(45) && !aBack)
        {
            await Task.Delay(500, ct);
            var status = (await t.Cli.RunAsync("status", "--json")).Json;
            aBack = status.GetProperty("workers").EnumerateArray().Any(w =>
                w.GetProperty("name").GetString() == "host-a" && w.GetProperty("heartbeat_age_s").GetDouble() < 3);
        }

        aBack.ShouldBeTrue($"host-a heartbeats again once the link is back\nhost-a: {a.Output}");
        job = JsonDocument.Parse(await http.GetStringAsync($"/api/jobs/{id}", ct)).RootElement;
        job.GetProperty("state").GetString().ShouldBe("succeeded");
        job.GetProperty("attempt").GetInt32().ShouldBe(2);
        job.GetProperty("events").EnumerateArray().Count(e => e.GetProperty("type").GetString() == "job.succeeded").ShouldBe(1);
        File.ReadAllLines(Path.Combine(t.Scratch, "side-effects.txt")).ShouldBe([$"{id} 2"]);
        TestContext.Current.SendDiagnosticMessage($"partition: host-a's agent stopped {agentStoppedAfter:F1} s after the cut (lease 4 s)");
    }

    /// <summary>
    /// A network namespace (held by a sleeping <c>unshare</c>) joined to this one by a veth pair: 10.231.N.1 here,
    /// 10.231.N.2 inside, a /30 on that link only. Gone with the holder process.
    /// </summary>
    private sealed class PartitionLink : IDisposable
    {
        private readonly Process _holder;
        private readonly string _hostSide;

        private PartitionLink(Process holder, string hostSide, int net)
        {
            _holder = holder;
            _hostSide = hostSide;
            HostAddress = $"10.231.{net}.1";
            Cidr = $"10.231.{net}.0/30";
        }

        public string HostAddress { get; }

        public string Cidr { get; }

        public IReadOnlyList<string> Prefix => ["nsenter", $"--net=/proc/{_holder.Id}/ns/net", "--"];

        public static PartitionLink? TryCreate(out string why)
        {
            why = "";
            if (!Environment.IsPrivilegedProcess)
            {
                why = "not root";
                return null;
            }

            Process? holder = null;
            try
            {
                var psi = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (var arg in new[] { "--net", "--", "/bin/sh", "-c", "ip link set lo up && echo ready && exec sleep 3600" })
                    psi.ArgumentList.Add(arg);
                holder = Process.Start(psi)!;
                var ready = holder.StandardOutput.ReadLineAsync();
                if (!ready.Wait(TimeSpan.FromSeconds(10)) || ready.Result != "ready")
                    throw new InvalidOperationException(holder.HasExited ? holder.StandardError.ReadToEnd() : "unshare did not answer");
                var net = Random.Shared.Next(1, 250);
                var tag = Random.Shared.Next(0x1000, 0xFFFF).ToString("x", CultureInfo.InvariantCulture);
                var hostSide = $"dvr{tag}h";
                var inside = $"dvr{tag}n";
                var ns = $"/proc/{holder.Id}/ns/net";
                Run("ip", "link", "add", hostSide, "type", "veth", "peer", "name", inside);
                Run("ip", "link", "set", inside, "netns", holder.Id.ToString(CultureInfo.InvariantCulture));
                Run("ip", "addr", "add", $"10.231.{net}.1/30", "dev", hostSide);
                Run("ip", "link", "set", hostSide, "up");
                Run("nsenter", $"--net={ns}", "--", "ip", "addr", "add", $"10.231.{net}.2/30", "dev", inside);
                Run("nsenter", $"--net={ns}", "--", "ip", "link", "set", inside, "up");
                return new PartitionLink(holder, hostSide, net);
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                why = e.Message;
                if (holder is { HasExited: false })
                    Native.Kill(holder.Id, Native.SIGKILL);
                holder?.Dispose();
                return null;
            }
        }

        public Task CutAsync() => Task.Run(() => Run("ip", "link", "set", _hostSide, "down"));

        public Task RestoreAsync() => Task.Run(() => Run("ip", "link", "set", _hostSide, "up"));

        public void Dispose()
        {
            try
            {
                Run("ip", "link", "del", _hostSide);
            }
            catch (InvalidOperationException)
            {
                // Gone with the namespace already.
            }

            if (!_holder.HasExited)
                Native.Kill(_holder.Id, Native.SIGKILL);
            _holder.WaitForExit(5000);
            _holder.Dispose();
        }

        private static void Run(string file, params string[] args)
        {
            var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in args)
                psi.ArgumentList.Add(arg);
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
                throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {err.Trim()}");
        }
    }
}
