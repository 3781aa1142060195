using System.Net;
using Drover.Core.Access;

namespace Drover.IntegrationTests;

/// <summary>Holes an outside probe found in the API's authentication, each closed.</summary>
public sealed class AuthHardeningTests
{
    [Theory]
    [InlineData("")]
    [InlineData("   \n")]
    [InlineData("short-token")]
    public async Task Serve_TokenUnder32Characters_RefusesToStartSayingWhy(string token)
    {
        using var t = new TestHome();
        (await t.Cli.RunAsync("init")).ExitCode.ShouldBe(0);
        await File.WriteAllTextAsync(Path.Combine(t.Home, "token"), token, TestContext.Current.CancellationToken);

        await using var serve = t.Cli.Start("serve", "--port", "0", "--slots", "0");
        var exited = await serve.WaitForExitAsync(TimeSpan.FromSeconds(60));

        exited.ShouldBeTrue("serve must not start with an empty or short token: " + serve.Output);
        serve.Process.ExitCode.ShouldNotBe(0);
        serve.Output.ShouldContain("under 32");
        File.Exists(Path.Combine(t.Home, "server.json")).ShouldBeFalse();
    }

    [Fact]
    public async Task SessionCookie_GatewayAndMetricsInAnyCase_Refused_ApiAccepted()
    {
        using var t = new TestHome();
        await using var serve = t.Cli.Start("serve", "--port", "0", "--slots", "0");
        var url = (await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60))).TrimEnd('/');
        using var http = t.Http(url, withToken: false);
        http.DefaultRequestHeaders.Add("Cookie", $"{DashboardLogin.CookieName}={DashboardLogin.MintSession(t.Token, DateTimeOffset.UtcNow)}");

        (await http.GetAsync(new Uri(url + "/api/status"), TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);
        foreach (var path in new[] { "/v1/models", "/V1/models", "/v1/MODELS", "/metrics", "/METRICS", "/Metrics" })
        {
            using var r = await http.GetAsync(new Uri(url + path), TestContext.Current.CancellationToken);
            r.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, path);
        }
    }
}
