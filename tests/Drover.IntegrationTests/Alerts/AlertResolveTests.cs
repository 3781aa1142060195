using System.Globalization;
using System.Text.Json;

namespace Drover.IntegrationTests.Alerts;

/// <summary>An alert about a job closes itself when that job succeeds after all, saying so.</summary>
public sealed class AlertResolveTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task JobDeadThenSucceededOnRetry_ItsAlertIsResolved_RecordingWhy()
    {
        using var t = new TestHome();
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "1"]);
        await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        var flag = Path.Combine(t.Scratch, "ready");

        var first = await t.Cli.RunInAsync(t.Scratch, "submit", "--command", $"test -f '{flag}'", "--max-attempts", "1", "--wait", "--json");
        first.Json.GetProperty("state").GetString().ShouldBe("failed", first.ToString());
        var id = first.Json.GetProperty("id").GetInt64();
        var key = "job_dead:" + id.ToString(CultureInfo.InvariantCulture);
        await WaitAsync(async () => OpenKeys(await t.Cli.RunAsync("alerts", "--json")).Contains(key), TimeSpan.FromSeconds(30));
        OpenKeys(await t.Cli.RunAsync("alerts", "--json")).ShouldContain(key, serve.Output);

        await File.WriteAllTextAsync(flag, "", Ct);
        var retry = await t.Cli.RunAsync("retry", id.ToString(CultureInfo.InvariantCulture));
        retry.ExitCode.ShouldBe(0, retry.ToString());
        await t.WaitForJobAsync(id, j => j.GetProperty("state").GetString() == "succeeded", TimeSpan.FromSeconds(60));
        await WaitAsync(async () => !OpenKeys(await t.Cli.RunAsync("alerts", "--json")).Contains(key), TimeSpan.FromSeconds(30));

        OpenKeys(await t.Cli.RunAsync("alerts", "--json")).ShouldNotContain(key, serve.Output);
        var all = (await t.Cli.RunAsync("alerts", "--all", "--json")).Json.GetProperty("alerts").EnumerateArray()
            .Single(a => a.GetProperty("key").GetString() == key);
        all.GetProperty("acked_by").GetString().ShouldBe("resolved: job succeeded");
        all.GetProperty("acked_at").ValueKind.ShouldBe(JsonValueKind.String);
        (await t.Cli.RunAsync("alerts", "--all")).Stdout.ShouldContain("resolved: job succeeded");
    }

    private static List<string> OpenKeys(CliResult r) =>
        [.. r.Json.GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("key").GetString()!)];

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !await condition())
            await Task.Delay(250, Ct);
    }
}
