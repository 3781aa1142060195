using Microsoft.Playwright;

namespace Drover.Dashboard.Tests;

/// <summary>Jobs submitted from the CLI, watched and acted on from the page.</summary>
[Collection(DashboardCollection.Name)]
public sealed class JobPageTests(DashboardFixture fx)
{
    [Fact]
    public async Task SubmittedJob_AppearsOnJobsPageAndSucceedsWithoutReload_DetailShowsItsLog()
    {
        await using var s = await fx.LoginAsync();
        var page = s.Page;
        await page.GotoAsync(fx.Url + "/#/jobs");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Jobs");
        await Assertions.Expect(page.Locator("#live")).ToHaveTextAsync("live");
        await page.EvaluateAsync("() => { window.notReloaded = true; }");

        var id = await fx.SubmitAsync("dashboard echo", "sleep 2; echo hello-from-the-dashboard-job");

        var state = page.Locator($"#jobs tr[data-job-id='{id}'] td.state");
        await Assertions.Expect(state).ToHaveTextAsync("running");
        await Assertions.Expect(state).ToHaveTextAsync("succeeded");
        (await page.EvaluateAsync<bool>("() => window.notReloaded === true")).ShouldBeTrue("the row changed without a reload");
        await fx.ScreenshotAsync(page, "jobs-1280");

        await page.Locator($"#jobs tr[data-job-id='{id}'] td.title a").ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToContainTextAsync($"#{id} dashboard echo");
        await Assertions.Expect(page.Locator("#log")).ToContainTextAsync("hello-from-the-dashboard-job");
        await Assertions.Expect(page.Locator("#attempts")).ToContainTextAsync("Attempt 1");
        await fx.ScreenshotAsync(page, "job-detail-1280");
        s.ShouldOnlyHaveTalkedToDrover();
    }

    [Fact]
    public async Task JobsPages_OlderThenNewer_WalkTheCursorFiftyAtATime()
    {
        // Jobs no worker can take (a capability nobody offers) stay queued, so the pages hold still.
        using var api = fx.Home.Http(fx.Url);
        var ids = new List<long>();
        for (var i = 0; i < 55; i++)
        {
            using var body = new StringContent(
                $$$"""{"title": "paging {{{i}}}", "command": "true", "repo": {{{System.Text.Json.JsonSerializer.Serialize(fx.Home.Scratch)}}}, "capabilities": ["dashboard-paging"], "labels": {"suite": "paging"}}""",
                System.Text.Encoding.UTF8, "application/json");
            using var resp = await api.PostAsync(new Uri("/api/jobs", UriKind.Relative), body, TestContext.Current.CancellationToken);
            resp.EnsureSuccessStatusCode();
            using var doc = System.Text.Json.JsonDocument.Parse(await resp.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            ids.Add(doc.RootElement.GetProperty("job").GetProperty("id").GetInt64());
        }

        await using var s = await fx.LoginAsync();
        var page = s.Page;
        await page.GotoAsync(fx.Url + "/#/jobs?label=suite%3Dpaging");
        var rows = page.Locator("#jobs tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(50);
        (await rows.First.GetAttributeAsync("data-job-id")).ShouldBe(ids[^1].ToString(System.Globalization.CultureInfo.InvariantCulture));

        await page.GetByRole(AriaRole.Button, new() { Name = "Older" }).ClickAsync();
        await Assertions.Expect(rows).ToHaveCountAsync(5);
        (await rows.Last.GetAttributeAsync("data-job-id")).ShouldBe(ids[0].ToString(System.Globalization.CultureInfo.InvariantCulture));
        page.Url.ShouldContain("cursor=");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Older" })).ToBeDisabledAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Newer" }).ClickAsync();
        await Assertions.Expect(rows).ToHaveCountAsync(50);
        page.Url.ShouldNotContain("cursor=");
    }

    [Fact]
    public async Task JobsFilter_ByTextAndState_ShowsOnlyMatches()
    {
        var wanted = await fx.SubmitAsync("filter needle job", "echo needle");
        var other = await fx.SubmitAsync("filter other job", "echo other");
        await fx.WaitForJobAsync(wanted, "succeeded");
        await using var s = await fx.LoginAsync();
        var page = s.Page;
        await page.GotoAsync(fx.Url + "/#/jobs");

        await page.GetByLabel("Title contains").FillAsync("NEEDLE");
        await page.GetByLabel("State").SelectOptionAsync("succeeded");

        await Assertions.Expect(page.Locator($"#jobs tr[data-job-id='{wanted}']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator($"#jobs tr[data-job-id='{other}']")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#jobs tbody tr")).ToHaveCountAsync(1);
        page.Url.ShouldContain("q=NEEDLE");
    }

    [Fact]
    public async Task RunningJob_CancelFromPage_IsCancelled()
    {
        var id = await fx.SubmitAsync("dashboard long sleep", "echo started; sleep 120");
        await fx.WaitForJobAsync(id, "running");
        await using var s = await fx.LoginAsync();
        var page = s.Page;
        await page.GotoAsync($"{fx.Url}/#/jobs/{id}");
        await Assertions.Expect(page.Locator("h1 .badge")).ToHaveTextAsync("running");
        await Assertions.Expect(page.Locator("#log")).ToContainTextAsync("started");

        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel job" }).ClickAsync();

        await Assertions.Expect(page.Locator("h1 .badge")).ToHaveTextAsync("cancelled");
        (await fx.WaitForJobAsync(id, "cancelled")).GetProperty("state").GetString().ShouldBe("cancelled");
        s.ShouldOnlyHaveTalkedToDrover();
    }

    [Fact]
    public async Task BlockedJob_AnswerFromPage_RequeuesAndTheNextAttemptSeesTheAnswer()
    {
        const string Script =
            "if grep -q '## Answers' \"$DROVER_PROMPT_FILE\"; then echo \"got: $(tail -n 1 \"$DROVER_PROMPT_FILE\")\"; " +
            "else echo 'DROVER_QUESTION Which colour should the button be?'; fi";
        var id = await fx.SubmitAsync("dashboard asks", Script);
        await fx.WaitForJobAsync(id, "blocked");
        await using var s = await fx.LoginAsync();
        var page = s.Page;
        await page.GotoAsync($"{fx.Url}/#/jobs/{id}");
        await Assertions.Expect(page.Locator("#answer-form")).ToContainTextAsync("Which colour should the button be?");
        await fx.ScreenshotAsync(page, "job-question-1280");

        await page.Locator("#answer-text").FillAsync("teal");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send answer" }).ClickAsync();

        await Assertions.Expect(page.Locator("h1 .badge")).ToHaveTextAsync("succeeded");
        await Assertions.Expect(page.Locator("#log")).ToContainTextAsync("got: teal");
        (await fx.WaitForJobAsync(id, "succeeded")).GetProperty("attempt").GetInt32().ShouldBe(2);
    }

    [Fact]
    public async Task HumanReview_ApproveFromPage_Succeeds()
    {
        var id = await fx.SubmitAsync("dashboard review", "echo reviewed", "--review", "human");
        await fx.WaitForJobAsync(id, "blocked");
        await using var s = await fx.LoginAsync();
        var page = s.Page;
        await page.GotoAsync($"{fx.Url}/#/jobs/{id}");

        await page.GetByLabel("Review note").FillAsync("looks right");
        await page.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();

        await Assertions.Expect(page.Locator("h1 .badge")).ToHaveTextAsync("succeeded");
        await fx.WaitForJobAsync(id, "succeeded");
    }
}
