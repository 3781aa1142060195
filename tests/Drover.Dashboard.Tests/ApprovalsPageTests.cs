using System.Text.Json;
using Microsoft.Playwright;

namespace Drover.Dashboard.Tests;

/// <summary>
/// A tool call waiting for a person (SPEC §13) on the overview and the job page, decided from the page. The job is a
/// shell job that asks Drover's approval endpoint itself, as claude's permission prompt tool would, with its own key.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class ApprovalsPageTests(DashboardFixture fx)
{
    private const string Ask =
        "curl -s -H \"Authorization: Bearer $DROVER_GATEWAY_KEY\" -H 'Content-Type: application/json' " +
        "--data '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"approve\",\"arguments\":" +
        "{\"tool_name\":\"Bash\",\"input\":{\"command\":\"git push origin main\"}}}}' \"$DROVER_GATEWAY_URL/approvals/mcp\"";

    [Fact]
    public async Task WaitingToolCall_OnOverviewAndJobPage_AllowFromThePageLetsTheJobGoOn()
    {
        var spec = Path.Combine(fx.Home.Scratch, "approval-job.json");
        await File.WriteAllTextAsync(spec, """{"approvals": ["ask Bash(git push*)"]}""", TestContext.Current.CancellationToken);
        var id = await fx.SubmitAsync("dashboard approval", Ask, "--file", spec);
        await using var s = await fx.LoginAsync();
        var page = s.Page;

        await page.GotoAsync(fx.Url + "/#/");
        var row = page.Locator("#approvals tbody tr", new() { HasText = $"#{id}" });
        await Assertions.Expect(row).ToContainTextAsync("git push origin main");
        await fx.ScreenshotAsync(page, "overview-approval-1280");
        await row.Locator("a").ClickAsync();
        await Assertions.Expect(page.Locator("#why")).ToContainTextAsync("tool call");
        await page.Locator("#approvals").GetByRole(AriaRole.Button, new() { Name = "Allow tool call" }).ClickAsync();

        var job = await fx.WaitForJobAsync(id, "succeeded");
        var decided = job.GetProperty("events").EnumerateArray().Single(e => e.GetProperty("type").GetString() == "approval.decided");
        decided.GetProperty("data").GetProperty("by").GetString().ShouldBe("dashboard");
        decided.GetProperty("data").GetProperty("decision").GetString().ShouldBe("allow");
        using var http = fx.Home.Http(fx.Url);
        var pending = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/approvals?job={id}", UriKind.Relative), TestContext.Current.CancellationToken));
        pending.RootElement.GetProperty("approvals").GetArrayLength().ShouldBe(0);
        s.ShouldOnlyHaveTalkedToDrover();
    }
}
