using System.Net;
using Drover.Core.Access;

namespace Drover.Dashboard.Tests;

[Collection(DashboardCollection.Name)]
public sealed class AuthTests(DashboardFixture fx)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/")]
    [InlineData("/api/jobs")]
    [InlineData("/js/app.js")]
    [InlineData("/app.css")]
    public async Task Get_WithoutCookieOrToken_Is401(string path)
    {
        using var http = fx.Home.Http(fx.Url, withToken: false);

        using var resp = await http.GetAsync(new Uri(path, UriKind.Relative), Ct);

        resp.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var body = await resp.Content.ReadAsStringAsync(Ct);
        if (path.StartsWith("/api", StringComparison.Ordinal))
            body.ShouldContain("\"error\"");
        else
            body.ShouldContain("drover dashboard");
    }

    [Fact]
    public async Task Login_PrintedLink_SetsHttpOnlyStrictCookieAndRedirectsToOverview()
    {
        await using var s = await fx.LoginAsync();

        var cookie = (await s.Context.CookiesAsync()).ShouldHaveSingleItem();
        cookie.Name.ShouldBe(DashboardLogin.CookieName);
        cookie.HttpOnly.ShouldBeTrue();
        cookie.SameSite.ShouldBe(Microsoft.Playwright.SameSiteAttribute.Strict);
        cookie.Value.ShouldNotContain(fx.Home.Token);
        s.Page.Url.ShouldBe(fx.Url + "/");
        (await s.Page.EvaluateAsync<string>("() => document.cookie")).ShouldBeEmpty("script cannot read the session");
        s.ShouldOnlyHaveTalkedToDrover();
    }

    [Fact]
    public async Task Login_TamperedCode_Is401AndSetsNoCookie()
    {
        var link = await fx.LoginLinkAsync();
        using var http = fx.Home.Http(fx.Url, withToken: false);

        using var resp = await http.GetAsync(new Uri(link[..^1] + (link[^1] == '0' ? '1' : '0')), Ct);

        resp.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        resp.Headers.Contains("Set-Cookie").ShouldBeFalse();
    }

    [Fact]
    public async Task Post_WithoutCookie_Is401_AndWithCookieFromAnotherOrigin_Is403()
    {
        var cookies = new CookieContainer();
        using var handler = new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false };
        using var http = new HttpClient(handler) { BaseAddress = new Uri(fx.Url) };
        using (var login = await http.GetAsync(new Uri(await fx.LoginLinkAsync()), Ct))
            login.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        using var bare = fx.Home.Http(fx.Url, withToken: false);

        using var stolen = await bare.PostAsync(new Uri("/api/fleet/pause", UriKind.Relative), null, Ct);
        using var cross = new HttpRequestMessage(HttpMethod.Post, "/api/fleet/pause");
        cross.Headers.Add("Origin", "http://evil.example");
        using var crossResp = await http.SendAsync(cross, Ct);
        using var same = new HttpRequestMessage(HttpMethod.Get, "/api/status");
        same.Headers.Add("Origin", "http://evil.example");
        using var sameResp = await http.SendAsync(same, Ct);
        using var gateway = await http.GetAsync(new Uri("/v1/models", UriKind.Relative), Ct);

        stolen.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        crossResp.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        sameResp.StatusCode.ShouldBe(HttpStatusCode.OK, "reads need no origin check: the browser keeps their answers from other origins");
        gateway.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "the session cookie does not open the model gateway");
        using var api = fx.Home.Http(fx.Url);
        (await api.GetStringAsync(new Uri("/api/status", UriKind.Relative), Ct)).ShouldContain("\"paused\":false");
    }

    [Fact]
    public async Task Assets_ServedWithContentTypeNoCacheAndStrictCsp()
    {
        await using var s = await fx.LoginAsync();

        var index = await s.Page.APIRequest.GetAsync(fx.Url + "/");
        var js = await s.Page.APIRequest.GetAsync(fx.Url + "/js/app.js");
        var css = await s.Page.APIRequest.GetAsync(fx.Url + "/app.css");

        index.Headers["content-type"].ShouldStartWith("text/html");
        js.Headers["content-type"].ShouldStartWith("text/javascript");
        css.Headers["content-type"].ShouldStartWith("text/css");
        foreach (var r in new[] { index, js, css })
        {
            r.Status.ShouldBe(200);
            r.Headers["cache-control"].ShouldBe("no-cache");
            r.Headers["content-security-policy"].ShouldStartWith("default-src 'self'");
        }
    }
}
