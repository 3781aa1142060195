using System.Globalization;
using System.Text.Json;
using Drover.Core.Jobs;

namespace Drover.IntegrationTests.Gates;

/// <summary>Worktrees do not pile up (SPEC §6): what <c>[workspaces] keep</c> says stays, gc removes the rest, branches stay.</summary>
public sealed class WorktreeCleanupTests
{
    [Fact]
    public async Task Worker_200JobsWithKeepFailed_OnlyFailedWorktreesRemainThenGcRemovesThem_EveryBranchStays()
    {
        var ct = TestContext.Current.CancellationToken;
        using var t = new TestHome();
        await File.WriteAllTextAsync(Path.Combine(t.Home, "drover.toml"), "[workspaces]\nkeep = \"failed\"\n", ct);
        var repo = InProcessWorker.NewRepo(t.Root);
        await using var w = await InProcessWorker.OpenAsync(t.Home);
        var failing = new HashSet<long>();
        var all = new List<long>();
        for (var i = 0; i < 200; i++)
        {
            var fails = i % 8 == 3;
            var id = await w.SubmitAsync(JsonSerializer.Serialize(new
            {
                title = $"job {i}",
                command = fails ? "echo half > work.txt; exit 3" : "echo done > work.txt",
                repo,
                @lock = "none",
                retry = new { max_attempts = 1 },
            }), repo);
            all.Add(id);
            if (fails)
                failing.Add(id);
        }

        w.Start(w.Options("tidy", 8));
        await InProcessWorker.WaitUntilAsync(
            async () =>
            {
                var counts = await w.Runtime.Store.JobCountsAsync(ct);
                return counts.GetValueOrDefault(JobState.Succeeded) + counts.GetValueOrDefault(JobState.Failed) == 200;
            },
            TimeSpan.FromSeconds(150));
        await w.StopAsync();

        foreach (var id in all)
            (await w.Runtime.Store.JobGetAsync(id, ct))!.State.ShouldBe(failing.Contains(id) ? JobState.Failed : JobState.Succeeded);
        var work = Path.Combine(t.Home, "work");
        Directories(work).ShouldBe(failing.Order());
        Worktrees(repo).ShouldBe(failing.Select(id => Path.Combine(work, id.ToString(CultureInfo.InvariantCulture))).Order(StringComparer.Ordinal));
        Branches(repo).ShouldBe(all.Order());
        InProcessWorker.Git(repo, "show", $"drover/{failing.First()}:work.txt").ShouldBe("half\n");

        var gc = await t.Cli.RunAsync("gc", "--json");
        gc.ExitCode.ShouldBe(0, gc.ToString());
        gc.Json.GetProperty("worktrees_removed").GetInt32().ShouldBe(failing.Count);
        Directories(work).ShouldBeEmpty();
        Worktrees(repo).ShouldBeEmpty();
        Branches(repo).ShouldBe(all.Order());
    }

    [Fact]
    public async Task WorkerStart_LeftoverWorktrees_EndedAndDeletedJobsSweptFailedKept()
    {
        var ct = TestContext.Current.CancellationToken;
        using var t = new TestHome();
        var config = Path.Combine(t.Home, "drover.toml");
        await File.WriteAllTextAsync(config, "[workspaces]\nkeep = \"all\"\n", ct);
        var repo = InProcessWorker.NewRepo(t.Root);
        long ok, bad;
        await using (var first = await InProcessWorker.OpenAsync(t.Home))
        {
            ok = await first.SubmitAsync(JsonSerializer.Serialize(new { command = "echo ok > a.txt", repo, @lock = "none" }), repo);
            bad = await first.SubmitAsync(JsonSerializer.Serialize(new { command = "exit 3", repo, @lock = "none", retry = new { max_attempts = 1 } }), repo);
            first.Start(first.Options("keeper", 2));
            await InProcessWorker.WaitUntilAsync(
                async () => (await first.Runtime.Store.JobGetAsync(bad, ct))!.State.IsTerminal() && (await first.Runtime.Store.JobGetAsync(ok, ct))!.State.IsTerminal(),
                TimeSpan.FromSeconds(30));
        }

        // keep = "all" left both; a worktree of a job the store never had (deleted by gc elsewhere) is there too.
        var work = Path.Combine(t.Home, "work");
        InProcessWorker.Git(repo, "worktree", "add", "-q", "-b", "drover/999999", Path.Combine(work, "999999"));
        Directories(work).ShouldBe([ok, bad, 999999]);

        await File.WriteAllTextAsync(config, "[workspaces]\nkeep = \"failed\"\n", ct);
        await using var second = await InProcessWorker.OpenAsync(t.Home);
        second.Start(second.Options("sweeper", 1));
        await InProcessWorker.WaitUntilAsync(() => Task.FromResult(Directories(work).SequenceEqual([bad])), TimeSpan.FromSeconds(30), () => string.Join(",", Directories(work)));

        Worktrees(repo).ShouldBe([Path.Combine(work, bad.ToString(CultureInfo.InvariantCulture))]);
        Branches(repo).ShouldBe([ok, bad, 999999]);
    }

    private static long[] Directories(string dir) =>
        [.. Directory.EnumerateDirectories(dir).Select(d => long.Parse(Path.GetFileName(d), CultureInfo.InvariantCulture)).Order()];

    /// <summary>The repo's linked worktrees (its main checkout left out), as git lists them.</summary>
    private static string[] Worktrees(string repo) =>
        [.. InProcessWorker.Git(repo, "worktree", "list", "--porcelain").Split('\n')
            .Where(l => l.StartsWith("worktree ", StringComparison.Ordinal))
            .Select(l => l["worktree ".Length..])
            .Where(p => p != repo)
            .Order(StringComparer.Ordinal)];

    private static long[] Branches(string repo) =>
        [.. InProcessWorker.Git(repo, "for-each-ref", "--format=%(refname:lstrip=3)", "refs/heads/drover/").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => long.Parse(s, CultureInfo.InvariantCulture)).Order()];
}
