using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Drover.Core.Configuration;
using Drover.Engines.Processes;
using Drover.Engines.Sandbox;
using Drover.Engines.Workspaces;

namespace Drover.Cli.Bench;

/// <summary>
/// What confinement adds to an attempt's start: wall time of <c>/bin/true</c> run through the attempt process runner
/// (its own session, guard, environment built from nothing) bare, in bubblewrap with no network, and in bubblewrap
/// with the gateway relay. The three are interleaved so load drifts hit them alike; medians and p99 per rep.
/// </summary>
public static class SandboxBench
{
    public static async Task RunAsync(int runs, int reps, BenchStats stats, TextWriter progress, CancellationToken ct)
    {
        if (AttemptSandbox.Probe(Bubblewrap.DefaultPath) is { } why)
        {
            await progress.WriteLineAsync($"  sandbox: skipped ({why})");
            return;
        }

        using var dir = new TempDir();
        var home = Directory.CreateDirectory(Path.Combine(dir.Path, "home")).FullName;
        var work = Directory.CreateDirectory(Path.Combine(home, "work", "1")).FullName;
        var runDir = Directory.CreateDirectory(Path.Combine(home, "runs", "1", "1")).FullName;
        var runHome = Directory.CreateDirectory(Path.Combine(runDir, "agent-home")).FullName;
        var socketPath = Path.Combine(home, "gateway.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));
        socket.Listen(8);
        var sandbox = new AttemptSandbox(new SandboxConfig(), home, socketPath, null);
        var env = SandboxEnvironment.Base([], runHome);
        var runner = new ProcessGroupRunner();
        IReadOnlyList<string> Wrapped(SandboxNetwork network) =>
            sandbox.Wrap(new SandboxRun(["/bin/true"], Workspace.InPlace(work), runDir, runHome, network, new Uri("http://127.0.0.1:18731/v1"))).Argv!;
        var modes = new (string Name, IReadOnlyList<string> Argv)[]
        {
            ("bare", ["/bin/true"]),
            ("bwrap", Wrapped(SandboxNetwork.None)),
            ("bwrap+relay", Wrapped(SandboxNetwork.Gateway)),
        };

        for (var rep = 1; rep <= reps; rep++)
        {
            var times = modes.ToDictionary(m => m.Name, _ => new List<double>(), StringComparer.Ordinal);
            for (var i = 0; i < runs; i++)
            {
                foreach (var (name, argv) in modes)
                {
                    using var log = new LineLog(Path.Combine(runDir, "log"));
                    var clock = Stopwatch.StartNew();
                    var result = await runner.RunAsync(new ProcessRunRequest(argv, work, log) { Environment = env, InheritEnvironment = false }, ct);
                    times[name].Add(clock.Elapsed.TotalMilliseconds);
                    if (result.ExitCode != 0)
                        throw new InvalidOperationException($"{name} run exited {result.ExitCode}: {result.LastStderrLine}");
                }
            }

            var line = new List<string>();
            foreach (var (name, _) in modes)
            {
                var sorted = times[name].Order().ToList();
                var p50 = BenchStats.Percentile(sorted, 50);
                var p99 = BenchStats.Percentile(sorted, 99);
                stats.Add($"sandbox mode={name} metric=start_ms_p50", p50);
                stats.Add($"sandbox mode={name} metric=start_ms_p99", p99);
                line.Add(string.Create(CultureInfo.InvariantCulture, $"{name} p50 {p50:0.0} ms p99 {p99:0.0} ms"));
            }

            var bare = BenchStats.Percentile(times["bare"].Order().ToList(), 50);
            stats.Add("sandbox mode=bwrap metric=added_ms_p50", BenchStats.Percentile(times["bwrap"].Order().ToList(), 50) - bare);
            stats.Add("sandbox mode=bwrap+relay metric=added_ms_p50", BenchStats.Percentile(times["bwrap+relay"].Order().ToList(), 50) - bare);
            await progress.WriteLineAsync($"  rep {rep}: {string.Join("; ", line)}");
        }
    }
}
