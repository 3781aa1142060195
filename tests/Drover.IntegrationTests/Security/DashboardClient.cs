using System.Net;
using Drover.Core.Access;

namespace Drover.IntegrationTests.Security;

/// <summary>A browser stand-in for the dashboard: follows no redirect and sends only the cookie it is given.</summary>
public sealed class DashboardClient : IDisposable
{
    private readonly HttpClient _http;

    public DashboardClient(HttpMessageHandler? handler = null)
    {
        handler ??= new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false };
        _http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>A fresh login link's path and query from `drover dashboard --json`.</summary>
    public static async Task<string> LinkPathAsync(TestHome t)
    {
        var r = await t.Cli.RunAsync("dashboard", "--json");
        r.ExitCode.ShouldBe(0, r.ToString());
        var link = r.Json.GetProperty("url").GetString()!;
        return link[link.IndexOf("/login?", StringComparison.Ordinal)..];
    }

    /// <summary>Opens the link on <paramref name="baseUrl"/>; the session cookie it set, or null with the response.</summary>
    public async Task<(HttpStatusCode Status, string? Cookie, string SetCookie, string Body)> LoginAsync(string baseUrl, string linkPath)
    {
        using var resp = await _http.GetAsync(new Uri(baseUrl.TrimEnd('/') + linkPath), TestContext.Current.CancellationToken);
        var setCookie = resp.Headers.TryGetValues("Set-Cookie", out var values) ? string.Join("\n", values) : "";
        var prefix = DashboardLogin.CookieName + "=";
        var cookie = setCookie.Split('\n').Where(c => c.StartsWith(prefix, StringComparison.Ordinal))
            .Select(c => c[prefix.Length..].Split(';')[0]).FirstOrDefault();
        return (resp.StatusCode, cookie, setCookie, await resp.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    public async Task<HttpStatusCode> SendAsync(HttpMethod method, string url, string cookie)
    {
        using var request = new HttpRequestMessage(method, new Uri(url));
        request.Headers.Add("Cookie", $"{DashboardLogin.CookieName}={cookie}");
        using var resp = await _http.SendAsync(request, TestContext.Current.CancellationToken);
        return resp.StatusCode;
    }

    public void Dispose() => _http.Dispose();
}
