using System.Net;
using System.Text;
using Drover.Server.Webhooks;

namespace Drover.IntegrationTests.Webhooks;

/// <summary>What the webhook endpoints answer before they are set up, and that only they are outside the bearer token.</summary>
public sealed class WebhookSetupTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PostHooks_SecretNotConfiguredOrNotSet_SaysSoAndOtherPathsNeedTheToken()
    {
        using var t = new TestHome();
        await File.WriteAllTextAsync(Path.Combine(t.Home, "drover.toml"), "[webhooks]\ngithub_secret = \"NOT_SET_YET\"\n", Ct);
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "0"]);
        using var http = t.Http(await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60)), withToken: false);
        var body = Encoding.UTF8.GetBytes("""{"zen":"Design for failure."}""");

        async Task<(HttpStatusCode, string)> PostAsync(string path)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
            request.Headers.Add("X-GitHub-Event", "ping");
            request.Headers.Add("X-GitHub-Delivery", "d-1");
            request.Headers.Add("X-Hub-Signature-256", WebhookSignature.Sign("anything", body));
            using var response = await http.SendAsync(request, Ct);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
        }

        var (github, githubText) = await PostAsync("/hooks/github");
        var (gitea, giteaText) = await PostAsync("/hooks/gitea");
        var (other, _) = await PostAsync("/hooks/gitlab");

        github.ShouldBe(HttpStatusCode.ServiceUnavailable, githubText);
        githubText.ShouldContain("secret NOT_SET_YET named by [webhooks] github_secret is not set");
        gitea.ShouldBe(HttpStatusCode.NotFound, giteaText);
        giteaText.ShouldContain("gitea webhooks are not configured (set [webhooks] gitea_secret)");
        other.ShouldBe(HttpStatusCode.Unauthorized, "only the two webhook paths are outside the bearer token");
    }
}
