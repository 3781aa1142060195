using Microsoft.Playwright;

namespace Drover.Dashboard.Tests;

/// <summary>Every page renders (with screenshots), talks only to the Drover server, and works by keyboard and on a phone.</summary>
[Collection(DashboardCollection.Name)]
public sealed class PagesTests(DashboardFixture fx)
{
    private static readonly (string Hash, string Heading, string Shot)[] Pages =
    [
        ("#/", "Overview", "overview-1280"),
        ("#/jobs", "Jobs", "jobs-list-1280"),
        ("#/workers", "Workers", "workers-1280"),
        ("#/providers", "Providers", "providers-1280"),
        ("#/usage", "Usage", "usage-1280"),
        ("#/alerts", "Alerts", "alerts-1280"),
        ("#/reports", "Reports", "reports-1280"),
    ];

    [Fact]
    public async Task EveryPage_Renders_AndEveryRequestGoesToTheDroverServer()
    {
        var id = await fx.SubmitAsync("pages tour job", "echo tour");
        await fx.ChatThroughGatewayAsync();
        await fx.WaitForJobAsync(id, "succeeded");
        await using var s = await fx.LoginAsync();
        var page = s.Page;
        var errors = new List<string>();
        page.Console += (_, m) =>
        {
            if (m.Type == "error" && !m.Text.Contains("404", StringComparison.Ordinal))
                errors.Add(m.Text);
        };
        page.PageError += (_, e) => errors.Add(e);

        foreach (var (hash, heading, shot) in Pages)
        {
            await page.GotoAsync(fx.Url + "/" + hash);
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(heading);
            await Assertions.Expect(page.Locator($"nav a[aria-current='page']")).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator("main[data-ready]")).ToHaveCountAsync(1);
            await fx.ScreenshotAsync(page, shot);
        }

        await page.GotoAsync(fx.Url + "/#/usage?period=day&by=provider");
        await Assertions.Expect(page.Locator("#usage tbody tr").First).ToContainTextAsync("alpha");
        await Assertions.Expect(page.Locator("svg.chart")).ToHaveCountAsync(2);
        await page.GotoAsync(fx.Url + "/#/providers");
        await Assertions.Expect(page.Locator("#providers tbody tr").First).ToContainTextAsync("closed");
        await page.GotoAsync($"{fx.Url}/#/jobs/{id}");
        await Assertions.Expect(page.Locator("#log")).ToContainTextAsync("tour");
        errors.ShouldBeEmpty();
        s.ShouldOnlyHaveTalkedToDrover();
        s.Requests.ShouldContain(u => u.Contains("/api/events/stream", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Overview_ShowsWorkerCountsGatesAndTheFourteenDayCharts()
    {
        await using var s = await fx.LoginAsync();
        var page = s.Page;

        await Assertions.Expect(page.Locator("#workers tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#workers tbody tr").First).ToContainTextAsync(new System.Text.RegularExpressions.Regex("idle|busy"));
        await Assertions.Expect(page.Locator(".count[data-state='succeeded']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#h-gates")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#spend-today")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\$\d"));
        await Assertions.Expect(page.Locator(".budget[data-scope='day']")).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"Budget \(day\): \$[0-9.]+ of \$5\.00"));
        await Assertions.Expect(page.Locator("svg.chart[aria-label^='Jobs per day by outcome']")).ToBeVisibleAsync();
        (await page.GetByText("Reports unavailable on this server.").CountAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task Charts_FromReportShapedDays_DrawABarPerOutcomeAndClass()
    {
        // Known numbers: the charts drawn from data of /api/report's shape.
        await using var s = await fx.LoginAsync();

        var drawn = await s.Page.EvaluateAsync<int[]>("""
            async () => {
              const c = await import('/js/charts.js');
              const days = [
                { date: '2026-11-06', jobs: { succeeded: 3, failed: 1, cancelled: 0 } },
                { date: '2026-11-07', jobs: { succeeded: 0, failed: 2, cancelled: 1 } },
                { date: '2026-11-08', jobs: { succeeded: 0, failed: 0, cancelled: 0 } },
              ];
              const byDay = c.outcomesByDay(days, 'Jobs per day');
              const byClass = c.horizontalBars([['timeout', 2], ['crash', 1], ['auth', 0]], 'Failures by class', String);
              document.querySelector('main').append(byDay, byClass);
              return [
                byDay.querySelectorAll('rect.s-succeeded').length, byDay.querySelectorAll('rect.s-failed').length,
                byDay.querySelectorAll('rect.s-cancelled').length, byClass.querySelectorAll('rect').length,
              ];
            }
            """);

        drawn.ShouldBe([1, 2, 1, 2]);
        var label = await s.Page.Locator("svg.chart[aria-label^='Jobs per day. ']").GetAttributeAsync("aria-label");
        label.ShouldBe("Jobs per day. 2026-11-06: 4, 2026-11-07: 3, 2026-11-08: 0");
    }

    [Fact]
    public async Task GatesCard_NamesAnOpenProviderCircuitAndAGatedEngine_NotClosedOnes()
    {
        await using var s = await fx.LoginAsync();

        var items = await s.Page.EvaluateAsync<string[]>("""
            async () => {
              const o = await import('/js/overview.js');
              const status = { paused: false, gates: [], engine_gates: [{ engine: 'claude', until: '2030-01-01T05:00:00Z', reason: 'usage limit' }] };
              const providers = [
                { name: 'alpha', circuit: { state: 'open', open_until: '2030-01-01T00:01:00Z', last_error: 'HTTP 500' } },
                { name: 'beta', circuit: { state: 'closed' } },
              ];
              const card = o.gatesCard(status, providers, () => {});
              return [...card.querySelectorAll('li')].map((li) => li.textContent);
            }
            """);

        items.Length.ShouldBe(2);
        items.ShouldContain(i => i.StartsWith("provider alpha circuit open until ", StringComparison.Ordinal) && i.EndsWith(": HTTP 500", StringComparison.Ordinal));
        items.ShouldContain(i => i.StartsWith("engine claude waits until ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Overview_AtPhoneWidth_FitsWithoutSidewaysScrollOfThePage()
    {
        await using var s = await fx.LoginAsync(390, 844);
        var page = s.Page;
        await Assertions.Expect(page.Locator("#workers")).ToBeVisibleAsync();

        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");

        overflow.ShouldBeLessThanOrEqualTo(0, "wide tables scroll inside their own box");
        await fx.ScreenshotAsync(page, "overview-390");
        await page.GotoAsync(fx.Url + "/#/jobs");
        await Assertions.Expect(page.Locator("#jobs-status")).ToContainTextAsync(new System.Text.RegularExpressions.Regex("jobs|No jobs"));
        (await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth")).ShouldBeLessThanOrEqualTo(0);
        await fx.ScreenshotAsync(page, "jobs-390");
    }

    [Fact]
    public async Task Navigation_ByKeyboardOnly_ReachesTheJobsPage()
    {
        await using var s = await fx.LoginAsync();
        var page = s.Page;

        string? focused = null;
        for (var i = 0; i < 6 && focused != "Jobs"; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            focused = await page.EvaluateAsync<string>("() => document.activeElement?.textContent?.trim()");
        }

        focused.ShouldBe("Jobs");
        var outline = await page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle");
        outline.ShouldNotBe("none", "the focused link shows a focus ring");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Jobs");
    }

    [Fact]
    public async Task Overview_InDarkMode_UsesTheDarkPalette()
    {
        await using var s = await fx.LoginAsync();
        await s.Page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });

        var background = await s.Page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");

        background.ShouldBe("rgb(13, 17, 23)");
        await fx.ScreenshotAsync(s.Page, "overview-dark-1280");
    }
}
