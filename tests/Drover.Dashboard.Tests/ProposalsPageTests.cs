using Microsoft.Playwright;

namespace Drover.Dashboard.Tests;

/// <summary>
/// Jobs proposed by another job (SPEC §12) on the Proposals page, accepted and rejected from it. The proposer is a
/// shell job printing DROVER_PROPOSE lines, as a scheduled scout would.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class ProposalsPageTests(DashboardFixture fx)
{
    [Fact]
    public async Task WaitingProposals_AcceptRunsOne_RejectWithReasonCancelsTheOther()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var script = Path.Combine(fx.Home.Scratch, $"scout-{tag}.sh");
        await File.WriteAllTextAsync(script, $$"""
            echo 'DROVER_PROPOSE {"title":"take {{tag}}","prompt":"take it","command":"true"}'
            echo 'DROVER_PROPOSE {"title":"drop {{tag}}","prompt":"drop it","command":"true"}'
            """, TestContext.Current.CancellationToken);
        var scout = await fx.SubmitAsync("dashboard scout", "sh " + script);
        await fx.WaitForJobAsync(scout, "succeeded");
        await using var s = await fx.LoginAsync();
        var page = s.Page;

        await page.GotoAsync(fx.Url + "/#/proposals");
        var take = page.Locator("#proposals tbody tr", new() { HasText = $"take {tag}" });
        var drop = page.Locator("#proposals tbody tr", new() { HasText = $"drop {tag}" });
        await Assertions.Expect(take).ToContainTextAsync($"#{scout}");
        await Assertions.Expect(drop).ToBeVisibleAsync();
        await fx.ScreenshotAsync(page, "proposals-1280");
        var takeId = long.Parse(await take.GetAttributeAsync("data-proposal-id") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        var dropId = long.Parse(await drop.GetAttributeAsync("data-proposal-id") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        await take.GetByRole(AriaRole.Button, new() { Name = $"Accept proposal {takeId}" }).ClickAsync();
        await fx.WaitForJobAsync(takeId, "succeeded");
        await drop.GetByRole(AriaRole.Textbox).FillAsync("not this week");
        await drop.GetByRole(AriaRole.Button, new() { Name = $"Reject proposal {dropId}" }).ClickAsync();

        var rejected = await fx.WaitForJobAsync(dropId, "cancelled");
        rejected.GetProperty("reason").GetString().ShouldBe("proposal rejected: not this week");
        await Assertions.Expect(page.Locator("#proposals tbody tr", new() { HasText = tag })).ToHaveCountAsync(0);
        s.ShouldOnlyHaveTalkedToDrover();
    }
}
