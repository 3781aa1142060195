using System.Net;

namespace Drover.IntegrationTests.Security;

/// <summary>A login link logs in once (also across a restart), and logging out ends the sessions it minted.</summary>
public sealed class LoginSessionTests
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Login_LinkUsedTwice_SecondRefused_AlsoAfterRestart()
    {
        using var t = new TestHome();
        using var browser = new DashboardClient();
        string used, unused;
        await using (var serve = t.Cli.Start("serve", "--port", "0", "--slots", "0"))
        {
            var url = await t.WaitForServerAsync(serve, Startup);
            used = await DashboardClient.LinkPathAsync(t);
            unused = await DashboardClient.LinkPathAsync(t);

            var first = await browser.LoginAsync(url, used);
            var second = await browser.LoginAsync(url, used);

            first.Status.ShouldBe(HttpStatusCode.Redirect, first.Body);
            first.Cookie.ShouldNotBeNull();
            second.Status.ShouldBe(HttpStatusCode.Unauthorized);
            second.Cookie.ShouldBeNull();
            second.Body.ShouldContain("already used");
            serve.Signal(Native.SIGKILL);
            (await serve.WaitForExitAsync(TimeSpan.FromSeconds(10))).ShouldBeTrue();
        }

        File.Delete(Path.Combine(t.Home, "server.json"));
        await using (var again = t.Cli.Start("serve", "--port", "0", "--slots", "0"))
        {
            var url = await t.WaitForServerAsync(again, Startup);

            var replay = await browser.LoginAsync(url, used);
            var fresh = await browser.LoginAsync(url, unused);

            replay.Status.ShouldBe(HttpStatusCode.Unauthorized, "a restart must not reopen a redeemed link");
            fresh.Status.ShouldBe(HttpStatusCode.Redirect, fresh.Body);
        }
    }

    [Fact]
    public async Task Logout_FromDashboard_OldCookieRefused()
    {
        using var t = new TestHome();
        using var browser = new DashboardClient();
        await using var serve = t.Cli.Start("serve", "--port", "0", "--slots", "0");
        var url = (await t.WaitForServerAsync(serve, Startup)).TrimEnd('/');
        var cookie = (await browser.LoginAsync(url, await DashboardClient.LinkPathAsync(t))).Cookie!;
        (await browser.SendAsync(HttpMethod.Get, url + "/api/status", cookie)).ShouldBe(HttpStatusCode.OK);

        (await browser.SendAsync(HttpMethod.Post, url + "/logout", cookie)).ShouldBe(HttpStatusCode.NoContent);

        (await browser.SendAsync(HttpMethod.Get, url + "/api/status", cookie)).ShouldBe(HttpStatusCode.Unauthorized);
        (await browser.SendAsync(HttpMethod.Get, url + "/", cookie)).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task DashboardLogoutAll_FromCli_EveryOldCookieRefused_NewLoginWorks()
    {
        using var t = new TestHome();
        using var browser = new DashboardClient();
        await using var serve = t.Cli.Start("serve", "--port", "0", "--slots", "0");
        var url = (await t.WaitForServerAsync(serve, Startup)).TrimEnd('/');
        var one = (await browser.LoginAsync(url, await DashboardClient.LinkPathAsync(t))).Cookie!;
        var two = (await browser.LoginAsync(url, await DashboardClient.LinkPathAsync(t))).Cookie!;
        (await browser.SendAsync(HttpMethod.Get, url + "/api/status", one)).ShouldBe(HttpStatusCode.OK);
        (await browser.SendAsync(HttpMethod.Get, url + "/api/status", two)).ShouldBe(HttpStatusCode.OK);

        var r = await t.Cli.RunAsync("dashboard", "--logout-all");

        r.ExitCode.ShouldBe(0, r.ToString());
        (await browser.SendAsync(HttpMethod.Get, url + "/api/status", one)).ShouldBe(HttpStatusCode.Unauthorized);
        (await browser.SendAsync(HttpMethod.Get, url + "/api/status", two)).ShouldBe(HttpStatusCode.Unauthorized);
        var three = (await browser.LoginAsync(url, await DashboardClient.LinkPathAsync(t))).Cookie!;
        (await browser.SendAsync(HttpMethod.Get, url + "/api/status", three)).ShouldBe(HttpStatusCode.OK);
    }
}
