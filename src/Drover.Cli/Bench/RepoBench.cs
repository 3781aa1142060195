using System.Diagnostics;
using System.Globalization;
using Drover.Engines.Workspaces;

namespace Drover.Cli.Bench;

/// <summary>
/// What a URL repo adds to a job's workspace (SPEC §12): wall time of preparing and removing a job worktree from a
/// local checkout and from a file:// URL whose mirror is warm (the base is already in it: no fetch), interleaved.
/// </summary>
public static class RepoBench
{
    public static async Task RunAsync(int runs, int reps, BenchStats stats, TextWriter progress, CancellationToken ct)
    {
        using var dir = new TempDir();
        var home = Directory.CreateDirectory(Path.Combine(dir.Path, "home")).FullName;
        var local = Directory.CreateDirectory(Path.Combine(dir.Path, "repo")).FullName;
        Git(local, "init", "-q", "-b", "main");
        await File.WriteAllTextAsync(Path.Combine(local, "README.md"), "bench\n", ct);
        Git(local, "add", "-A");
        Git(local, "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", "init");
        var bare = Path.Combine(dir.Path, "remote.git");
        Git(dir.Path, "clone", "-q", "--bare", local, bare);
        var url = "file://" + bare;
        var head = Git(local, "rev-parse", "HEAD").Trim();
        var workspaces = new GitWorkspaces();
        await workspaces.PrepareAsync(url, home, 1, head, ct); // makes the mirror: later claims find the base in it
        await workspaces.RemoveAsync(home, 1, ct);

        var job = 1L;
        for (var rep = 1; rep <= reps; rep++)
        {
            var times = new Dictionary<string, List<double>>(StringComparer.Ordinal) { ["local"] = [], ["url"] = [] };
            for (var i = 0; i < runs; i++)
            {
                foreach (var (mode, repo) in new[] { ("local", local), ("url", url) })
                {
                    var id = ++job;
                    var clock = Stopwatch.StartNew();
                    await workspaces.PrepareAsync(repo, home, id, head, ct);
                    times[mode].Add(clock.Elapsed.TotalMilliseconds);
                    await workspaces.RemoveAsync(home, id, ct);
                }
            }

            var p50 = times.ToDictionary(t => t.Key, t => BenchStats.Percentile(t.Value.Order().ToList(), 50), StringComparer.Ordinal);
            stats.Add("repos mode=local metric=prepare_ms_p50", p50["local"]);
            stats.Add("repos mode=url metric=prepare_ms_p50", p50["url"]);
            stats.Add("repos mode=url metric=added_ms_p50", p50["url"] - p50["local"]);
            await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  rep {rep}: worktree from a local repo p50 {p50["local"]:0.0} ms, from a warm URL mirror p50 {p50["url"]:0.0} ms"));
        }
    }

    private static string Git(string cwd, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 ? output : throw new InvalidOperationException($"git {args[0]} failed: {error}");
    }
}
