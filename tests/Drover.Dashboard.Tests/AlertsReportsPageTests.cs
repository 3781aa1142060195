using System.Text.Json;
using Microsoft.Playwright;

namespace Drover.Dashboard.Tests;

/// <summary>The Alerts and Reports pages against the server's own alerts and report.</summary>
[Collection(DashboardCollection.Name)]
public sealed class AlertsReportsPageTests(DashboardFixture fx)
{
    [Fact]
    public async Task DeadJob_AlertAppearsOnTheAlertsPageWithoutReload_AckFromThePage()
    {
        await using var s = await fx.LoginAsync();
        var page = s.Page;
        await page.GotoAsync(fx.Url + "/#/alerts");
        await Assertions.Expect(page.Locator("main h1")).ToHaveTextAsync("Alerts");

        var id = await fx.SubmitAsync("dashboard dead job", "echo giving up; exit 3", "--max-attempts", "1");
        await fx.WaitForJobAsync(id, "failed");
        var row = page.Locator("#alerts tbody tr", new() { HasText = $"job {id} failed" });
        await Assertions.Expect(row).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await Assertions.Expect(row).ToContainTextAsync("job_dead");
        await fx.ScreenshotAsync(page, "alerts-open-1280");

        await row.GetByRole(AriaRole.Button, new() { Name = "Ack" }).ClickAsync();

        await Assertions.Expect(page.Locator("#alerts tbody tr", new() { HasText = $"job {id} failed" })).ToContainTextAsync("acked");
        using var http = fx.Home.Http(fx.Url);
        var open = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/alerts", UriKind.Relative), TestContext.Current.CancellationToken));
        open.RootElement.GetProperty("alerts").EnumerateArray().ShouldNotContain(a => a.GetProperty("key").GetString() == $"job_dead:{id}");
        s.ShouldOnlyHaveTalkedToDrover();
    }

    [Fact]
    public async Task ReportsPage_ShowsTheGateLineAndTodayAsTheCliReportsIt()
    {
        var cli = await fx.Home.Cli.RunAsync("report", "--days", "30", "--json");
        cli.ExitCode.ShouldBe(0, cli.ToString());
        var line = cli.Json.GetProperty("gate").GetProperty("line").GetString()!;
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        await using var s = await fx.LoginAsync();
        var page = s.Page;
        await page.GotoAsync(fx.Url + "/#/reports");

        // The verdict must agree; the reasons hold shares that move by the second (capacity), so only their start is compared.
        var verdict = line.Split('(')[0];
        verdict.ShouldStartWith("Next phase: ");
        await Assertions.Expect(page.Locator("#gate")).ToContainTextAsync(verdict);
        await Assertions.Expect(page.Locator("#report-days tbody tr").First).ToContainTextAsync(today);
        (await page.Locator("#report-days tbody tr").CountAsync()).ShouldBe(30);
        s.ShouldOnlyHaveTalkedToDrover();
    }
}
