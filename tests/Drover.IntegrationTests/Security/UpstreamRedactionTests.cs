using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Drover.IntegrationTests.Alerts;

namespace Drover.IntegrationTests.Security;

/// <summary>
/// A provider that echoes its key in error bodies, behind a real <c>drover serve</c>: the key (raw, JSON-escaped or
/// URL-encoded) and credential-shaped text reach neither the client, nor /api/providers, nor events, nor the alert
/// webhook, nor the serve log.
/// </summary>
public sealed class UpstreamRedactionTests
{
    /// <summary>Every encoding of the key keeps this core, so finding it anywhere is a leak.</summary>
    private const string Core = "K3yC0re9876543210";
    private const string Key = "Up+" + Core + "/x=<y>";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ProviderEchoesItsKey_KeyAppearsNowhereDroverPassesUpstreamTextOn()
    {
        using var t = new TestHome();
        await using var refuses = await EchoingUpstream.StartAsync();
        await using var crashes = await EchoingUpstream.StartAsync();
        await using var rejects = await EchoingUpstream.StartAsync();
        await using var streams = await EchoingUpstream.StartAsync();
        await using var claude = await EchoingUpstream.StartAsync();
        await using var hook = await AlertReceiver.StartAsync();
        (refuses.Mode, crashes.Mode, rejects.Mode, streams.Mode, claude.Mode) =
            (EchoMode.Refuse401, EchoMode.Crash500, EchoMode.Reject422, EchoMode.StreamError, EchoMode.Refuse401);
        await File.WriteAllTextAsync(Path.Combine(t.Home, "secrets"), JsonSerializer.Serialize(new Dictionary<string, string> { ["UP_KEY"] = Key }), Ct);
        await File.WriteAllTextAsync(Path.Combine(t.Home, "drover.toml"), $$"""
            [gateway]
            enabled = true
            max_retry_after = "0s"

            [[providers]]
            name = "refuses"
            base_url = "{{refuses.BaseUrl}}"
            models = ["m1"]
            api_key_secret = "UP_KEY"

            [[providers]]
            name = "crashes"
            base_url = "{{crashes.BaseUrl}}"
            models = ["m2"]
            api_key_secret = "UP_KEY"

            [[providers]]
            name = "rejects"
            base_url = "{{rejects.BaseUrl}}"
            models = ["m3"]
            api_key_secret = "UP_KEY"

            [[providers]]
            name = "streams"
            base_url = "{{streams.BaseUrl}}"
            models = ["m4"]
            api_key_secret = "UP_KEY"

            [[providers]]
            name = "claude"
            kind = "anthropic"
            base_url = "{{claude.BaseUrl}}"
            models = ["c1"]
            api_key_secret = "UP_KEY"

            [routes.default]
            cascade = ["refuses", "crashes"]

            [[alerts.sinks]]
            kind = "webhook"
            url = "{{hook.Url}}"
            """, Ct);
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "0"]);
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        using var http = t.Http(url);
        var seen = new StringBuilder();

        // Three failures in a row open both circuits: provider.circuit events, then alerts to the webhook.
        for (var i = 0; i < 3; i++)
        {
            using var r = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "default", messages = new[] { new { role = "user", content = "hi" } } }, Ct);
            r.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
            seen.AppendLine(await r.Content.ReadAsStringAsync(Ct));
        }

        seen.ToString().ShouldContain("[redacted]", customMessage: "the providers' text is passed on, with the key taken out");
        using (var r = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "m3", messages = new[] { new { role = "user", content = "hi" } } }, Ct))
        {
            r.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity, "a client error is handed back as it came");
            var body = await r.Content.ReadAsStringAsync(Ct);
            body.ShouldContain("[redacted]");
            seen.AppendLine(body);
        }

        using (var r = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "m4", stream = true, messages = new[] { new { role = "user", content = "hi" } } }, Ct))
        {
            r.StatusCode.ShouldBe(HttpStatusCode.OK);
            var body = await r.Content.ReadAsStringAsync(Ct);
            body.ShouldContain("\"content\":\"Hi\"", customMessage: "what the model wrote is passed on untouched");
            body.ShouldContain("event: error");
            seen.AppendLine(body);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = JsonContent.Create(new { model = "c1", max_tokens = 10, messages = new[] { new { role = "user", content = "hi" } } }) })
        {
            using var r = await http.SendAsync(request, Ct);
            r.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
            seen.AppendLine(await r.Content.ReadAsStringAsync(Ct));
        }

        (refuses.Calls + crashes.Calls + rejects.Calls + streams.Calls + claude.Calls).ShouldBeGreaterThanOrEqualTo(6, "every provider was called");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (hook.Requests < 2 && DateTime.UtcNow < deadline)
            await Task.Delay(200, Ct);
        hook.Requests.ShouldBeGreaterThanOrEqualTo(2, "both circuits opened and alerted: " + serve.Output);

        var providers = await http.GetStringAsync("/api/providers", Ct);
        providers.ShouldContain("[redacted]", customMessage: "the last error is kept, redacted");
        var events = await http.GetStringAsync("/api/events?limit=10000", Ct);
        events.ShouldContain("provider.circuit");
        var cli = await t.Cli.RunAsync("providers", "--json");
        var places = new Dictionary<string, string>
        {
            ["client responses"] = seen.ToString(),
            ["/api/providers"] = providers,
            ["/api/events"] = events,
            ["drover providers"] = cli.Stdout + cli.Stderr,
            ["alert webhook"] = string.Join('\n', hook.Received.Select(x => x.Body)),
            ["serve log"] = serve.Output,
        };
        foreach (var (place, text) in places)
        {
            text.ShouldNotContain(Core, customMessage: $"the provider key leaked into {place}");
            text.ShouldNotContain("0123456789abcdefXYZ", customMessage: $"a key-shaped token leaked into {place}");
        }
    }
}
