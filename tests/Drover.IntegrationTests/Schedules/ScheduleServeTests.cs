using System.Text.Json;

namespace Drover.IntegrationTests.Schedules;

/// <summary>A real serve firing a config schedule with a seconds cron; the CLI and API over it.</summary>
public sealed class ScheduleServeTests
{
    [Fact]
    public async Task Serve_ConfigScheduleEverySecond_SubmitsOneJobPerTick_ListedAndNotRemovableByCli()
    {
        using var t = new TestHome();
        var ticks = Path.Combine(t.Scratch, "ticks");
        File.WriteAllText(Path.Combine(t.Home, "drover.toml"), $"""
            [[schedules]]
            name = "ticker"
            cron = "* * * * * *"
            overlap = "queue"
            [schedules.job]
            repo = "{t.Scratch}"
            command = "echo tick >> {ticks}"
            """);
        await using var serve = t.Cli.Start("serve", "--port", "0", "--slots", "2");
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));

        JsonElement[] jobs = [];
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var ls = await t.Cli.RunAsync("ls", "--json", "--label", "schedule=ticker", "--state", "succeeded");
            jobs = [.. ls.Json.GetProperty("jobs").EnumerateArray()];
            if (jobs.Length >= 3)
                break;
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }

        var schedules = await t.Cli.RunAsync("schedule", "ls", "--json");
        var rm = await t.Cli.RunAsync("schedule", "rm", "ticker");
        var add = await t.Cli.RunInAsync(t.Scratch, "schedule", "add", "hand", "--cron", "0 3 * * *", "--tz", "Europe/Berlin", "--command", "true");
        var replaceConfig = await t.Cli.RunInAsync(t.Scratch, "schedule", "add", "ticker", "--cron", "0 3 * * *", "--command", "true", "--replace");
        var run = await t.Cli.RunAsync("schedule", "run", "hand", "--json");
        var rmHand = await t.Cli.RunAsync("schedule", "rm", "hand");
        using var http = t.Http(url);
        var api = JsonDocument.Parse(await http.GetStringAsync("api/schedules", TestContext.Current.CancellationToken)).RootElement;

        jobs.Length.ShouldBeGreaterThanOrEqualTo(3, serve.Output);
        var keys = jobs.Select(j => j.GetProperty("key").GetString()!).ToList();
        keys.ShouldAllBe(k => k.StartsWith("schedule:ticker:", StringComparison.Ordinal));
        keys.Distinct().Count().ShouldBe(keys.Count);
        var listed = schedules.Json.GetProperty("schedules").EnumerateArray().ShouldHaveSingleItem();
        listed.GetProperty("name").GetString().ShouldBe("ticker");
        listed.GetProperty("from_config").GetBoolean().ShouldBeTrue();
        listed.GetProperty("last_job").ValueKind.ShouldBe(JsonValueKind.Number);
        listed.GetProperty("next_run").GetDateTimeOffset().ShouldBeGreaterThan(DateTimeOffset.UtcNow.AddSeconds(-5));
        rm.ExitCode.ShouldBe(1, rm.ToString());
        rm.Stderr.ShouldContain("drover.toml");
        add.ExitCode.ShouldBe(0, add.ToString());
        replaceConfig.ExitCode.ShouldBe(1, replaceConfig.ToString());
        replaceConfig.Stderr.ShouldContain("drover.toml");
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Json.GetProperty("key").GetString()!.ShouldStartWith("schedule:hand:run:");
        rmHand.ExitCode.ShouldBe(0, rmHand.ToString());
        api.GetProperty("schedules").GetArrayLength().ShouldBe(1);
        File.ReadAllLines(ticks).Length.ShouldBeGreaterThanOrEqualTo(3);
    }
}
