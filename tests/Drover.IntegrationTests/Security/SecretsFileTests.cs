using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Drover.IntegrationTests.Gateway;

namespace Drover.IntegrationTests.Security;

/// <summary>A damaged secrets file under a real <c>drover serve</c>: serve still starts (an alert sink whose URL is a
/// secret is skipped) with a warning, <c>doctor</c> fails it, and gateway calls that need a key from it get 503 in
/// their provider's own error format, not a bare 500.</summary>
public sealed class SecretsFileTests
{
    private const string Garbage = "{\"UP_KEY\": \"hunter2-0123456789\", oops";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Serve_GarbageSecretsFile_WarnsAtStartAndGatewayAnswers503InProviderFormat()
    {
        using var t = new TestHome();
        await using var openai = await FakeUpstream.StartAsync("o");
        await using var anthropic = await FakeUpstream.StartAsync("a");
        var secrets = Path.Combine(t.Home, "secrets");
        await File.WriteAllTextAsync(secrets, Garbage, Ct);
        await File.WriteAllTextAsync(Path.Combine(t.Home, "drover.toml"), $$"""
            [gateway]
            enabled = true

            [[providers]]
            name = "o"
            base_url = "{{openai.BaseUrl}}"
            models = ["m"]
            api_key_secret = "UP_KEY"

            [[providers]]
            name = "a"
            kind = "anthropic"
            base_url = "{{anthropic.BaseUrl}}"
            models = ["c"]
            api_key_secret = "UP_KEY"

            [[alerts.sinks]]
            kind = "webhook"
            url_secret = "HOOK_URL"
            """, Ct);
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "0"]);
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        using var http = t.Http(url);

        using (var r = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "m", messages = new[] { new { role = "user", content = "hi" } } }, Ct))
        {
            r.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            r.Headers.RetryAfter.ShouldNotBeNull();
            using var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync(Ct));
            var error = body.RootElement.GetProperty("error");
            error.GetProperty("type").GetString().ShouldBe("service_unavailable");
            error.GetProperty("message").GetString()!.ShouldContain($"the secrets file {secrets} is damaged");
            error.GetProperty("message").GetString()!.ShouldNotContain("hunter2");
        }

        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = JsonContent.Create(new { model = "c", max_tokens = 5, messages = new[] { new { role = "user", content = "hi" } } }) })
        {
            using var r = await http.SendAsync(request, Ct);
            r.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            using var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync(Ct));
            body.RootElement.GetProperty("type").GetString().ShouldBe("error");
            body.RootElement.GetProperty("error").GetProperty("type").GetString().ShouldBe("overloaded_error");
            body.RootElement.GetProperty("error").GetProperty("message").GetString()!.ShouldContain("secrets file");
        }

        (openai.Calls + anthropic.Calls).ShouldBe(0, "no call goes upstream without its key");
        serve.Output.ShouldContain($"the secrets file {secrets} is damaged: not valid JSON");
        serve.Output.ShouldNotContain("hunter2");

        // Repaired while serve runs: the next call gets the key, with no restart.
        await File.WriteAllTextAsync(secrets, JsonSerializer.Serialize(new Dictionary<string, string> { ["UP_KEY"] = "repaired-key-123" }), Ct);
        using (var r = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "m", messages = new[] { new { role = "user", content = "hi" } } }, Ct))
        {
            r.StatusCode.ShouldBe(HttpStatusCode.OK, await r.Content.ReadAsStringAsync(Ct));
            openai.LastCredential.ShouldBe("Bearer repaired-key-123");
        }
    }

    [Fact]
    public async Task Doctor_GarbageSecretsFile_FailsTheSecretsCheckWithoutShowingItsContents()
    {
        using var t = new TestHome();
        (await t.Cli.RunAsync("init")).ExitCode.ShouldBe(0);
        var secrets = Path.Combine(t.Home, "secrets");
        await File.WriteAllTextAsync(secrets, Garbage, Ct);

        var r = await t.Cli.RunAsync("doctor", "--json");

        r.ExitCode.ShouldBe(1, r.ToString());
        var check = r.Json.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("check").GetString() == "secrets");
        check.GetProperty("status").GetString().ShouldBe("fail");
        check.GetProperty("detail").GetString()!.ShouldContain($"the secrets file {secrets} is damaged: not valid JSON at line 1");
        r.Stdout.ShouldNotContain("hunter2");
    }
}
