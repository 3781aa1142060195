namespace Drover.IntegrationTests.Security;

/// <summary>Nothing under &lt;home&gt; is open to other users: token, secrets, database, config, runs, worktrees.</summary>
public sealed class HomePermissionsTests
{
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    [Fact]
    public async Task ServeDemo_AfterJobsRan_NothingUnderHomeGrantsGroupOrOther()
    {
        using var t = new TestHome();
        (await t.Cli.RunAsync("init")).ExitCode.ShouldBe(0);
        (await t.Cli.RunAsync("secret", "set", "DEMO_KEY", "s3cret-demo-value")).ExitCode.ShouldBe(0);
        // A home an older version (or a hand-made mkdir) left open: serve closes it.
        File.SetUnixFileMode(t.Home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        await using var serve = t.Cli.Start("serve", "--demo", "--home", t.Home, "--port", "0", "--slots", "4");
        await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));

        await WaitForDemoAsync(t, TimeSpan.FromSeconds(120));
        serve.Signal(Native.SIGTERM);
        (await serve.WaitForExitAsync(TimeSpan.FromSeconds(60))).ShouldBeTrue(serve.Output);

        var open = OpenEntries(t.Home);
        open.ShouldBeEmpty("these grant group or other access:\n" + string.Join('\n', open));
        Directory.EnumerateFiles(Path.Combine(t.Home, "runs"), "*", SearchOption.AllDirectories).ShouldNotBeEmpty();
        Directory.EnumerateFiles(t.Home, "drover.db*").Count().ShouldBeGreaterThanOrEqualTo(1);
        serve.Output.ShouldContain("tightened");
    }

    [Fact]
    public async Task Doctor_HomeOpenToOthers_WarnsWithTheFix()
    {
        using var t = new TestHome();
        (await t.Cli.RunAsync("init")).ExitCode.ShouldBe(0);
        File.SetUnixFileMode(t.Home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        var r = await t.Cli.RunAsync("doctor", "--json");

        var home = r.Json.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("check").GetString() == "home");
        home.GetProperty("status").GetString().ShouldBe("warn", r.ToString());
        home.GetProperty("detail").GetString()!.ShouldContain($"is 0705, open to other users: chmod 700 {t.Home}");
    }

    /// <summary>Every file and directory under <paramref name="root"/> (itself included, symlinks skipped) with a group or other bit.</summary>
    private static List<string> OpenEntries(string root)
    {
        var open = new List<string>();
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = false };
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", options).Prepend(root))
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & GroupOrOther) != 0)
                open.Add($"{Convert.ToString((int)mode, 8)} {path}");
        }

        return open;
    }

    /// <summary>Until no demo job is queued or running (the question job stays blocked).</summary>
    private static async Task WaitForDemoAsync(TestHome t, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            var r = await t.Cli.RunAsync("status", "--json");
            if (r.ExitCode == 0)
            {
                last = r.Stdout;
                var counts = r.Json.GetProperty("counts");
                if (counts.GetProperty("queued").GetInt32() == 0 && counts.GetProperty("running").GetInt32() == 0
                    && counts.GetProperty("succeeded").GetInt32() >= 5)
                    return;
            }

            await Task.Delay(500, TestContext.Current.CancellationToken);
        }

        throw new TimeoutException("the demo jobs did not finish: " + last);
    }
}
