using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace Drover.IntegrationTests.Gateway;

/// <summary>
/// The /v1 gateway of a real <c>drover serve</c>, between the official OpenAI .NET SDK and two fault-injecting fake
/// providers on 127.0.0.1 (route "default" = a then b).
/// </summary>
public sealed class GatewayTests : IAsyncLifetime
{
    private readonly TestHome _t = new();
    private FakeUpstream _a = null!;
    private FakeUpstream _b = null!;
    private BackgroundProcess? _serve;
    private string _url = "";

    public async ValueTask InitializeAsync()
    {
        _a = await FakeUpstream.StartAsync("a");
        _b = await FakeUpstream.StartAsync("b");
    }

    private async Task ServeAsync(string? aUrl = null, int slots = 0)
    {
        await File.WriteAllTextAsync(Path.Combine(_t.Home, "drover.toml"), $$"""
            [gateway]
            enabled = true
            first_byte_timeout = "2s"
            idle_timeout = "2s"
            max_retry_after = "0s"

            [[providers]]
            name = "a"
            base_url = "{{aUrl ?? _a.BaseUrl}}"
            models = ["model-a"]
            price = { input = 2.0, cached_input = 0.5, output = 8.0 }

            [[providers]]
            name = "b"
            base_url = "{{_b.BaseUrl}}"
            models = ["model-b"]

            [routes.default]
            cascade = ["a", "b"]
            """);
        _serve = _t.Cli.Start(["serve", "--port", "0", "--slots", slots.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        _url = await _t.WaitForServerAsync(_serve, TimeSpan.FromSeconds(60));
    }

    private ChatClient Client(string model = "default") => new(model, new ApiKeyCredential(_t.Token), new OpenAIClientOptions
    {
        Endpoint = new Uri(_url + "/v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0), // the gateway, not the client, owns retries
        NetworkTimeout = TimeSpan.FromSeconds(30),
    });

    [Fact]
    public async Task FirstProviderHealthy_AnswersWithItsUsage_AndTheCallIsRecordedWithoutText()
    {
        await ServeAsync();

        var r = await Client().CompleteChatAsync([new UserChatMessage("secret prompt text")]);

        r.Value.Content[0].Text.ShouldBe("Hello from a");
        r.Value.Usage.InputTokenCount.ShouldBe((int)FakeUpstream.PromptTokens);
        _a.LastBody!["model"]!.GetValue<string>().ShouldBe("model-a", "the route alias becomes the provider's model");
        var call = await LastCallAsync();
        call.GetProperty("provider").GetString().ShouldBe("a");
        call.GetProperty("input_tokens").GetInt64().ShouldBe(FakeUpstream.PromptTokens - FakeUpstream.CachedTokens, "fresh input; cache reads apart");
        call.GetProperty("cached_input_tokens").GetInt64().ShouldBe(FakeUpstream.CachedTokens);
        call.GetProperty("output_tokens").GetInt64().ShouldBe(FakeUpstream.CompletionTokens);
        // 200 fresh × $2 + 1,000 cached × $0.5 + 30 out × $8, per million.
        call.GetProperty("cost_usd").GetDecimal().ShouldBe(((200 * 2m) + (1000 * 0.5m) + (30 * 8m)) / 1_000_000m);
        call.GetRawText().ShouldNotContain("secret prompt text");
        call.GetRawText().ShouldNotContain("Hello from a");
    }

    [Theory]
    [InlineData(UpstreamMode.Status500, "HTTP 500")]
    [InlineData(UpstreamMode.Status429, "HTTP 429")]
    [InlineData(UpstreamMode.HangBeforeHeaders, "no response within 2 s")]
    [InlineData(UpstreamMode.ContextLength, "context length exceeded")]
    public async Task FirstProviderFails_TheClientGetsTheSecondOnesAnswer(UpstreamMode fault, string skipped)
    {
        await ServeAsync();
        _a.Mode = fault;
        var clock = Stopwatch.StartNew();

        var r = await Client().CompleteChatAsync([new UserChatMessage("hi")]);

        r.Value.Content[0].Text.ShouldBe("Hello from b");
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10));
        _a.Calls.ShouldBe(1, "the gateway owns retries: one try per provider");
        var call = await LastCallAsync();
        call.GetProperty("provider").GetString().ShouldBe("b");
        call.GetProperty("skipped")[0].GetString().ShouldNotBeNull().ShouldStartWith("a: " + skipped);
        call.GetProperty("cost_source").GetString().ShouldBe("unknown", "provider b has no price: flagged, not $0");
    }

    [Fact]
    public async Task FirstProviderDown_FailsOverToTheSecond()
    {
        using var closed = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        await ServeAsync(aUrl: $"http://127.0.0.1:{port}/v1");

        var r = await Client().CompleteChatAsync([new UserChatMessage("hi")]);

        r.Value.Content[0].Text.ShouldBe("Hello from b");
        (await LastCallAsync()).GetProperty("skipped")[0].GetString().ShouldBe("a: connection failed");
    }

    [Fact]
    public async Task Streaming_PassesChunksThrough_AndReadsUsageEvenWhenTheClientDidNotAsk()
    {
        await ServeAsync();
        var text = new StringBuilder();

        await foreach (var update in Client().CompleteChatStreamingAsync([new UserChatMessage("hi")]))
        {
            foreach (var part in update.ContentUpdate)
                text.Append(part.Text);
        }

        text.ToString().ShouldBe("Hello from a");
        _a.LastBody!["stream_options"]!["include_usage"]!.GetValue<bool>().ShouldBeTrue();
        var call = await LastCallAsync();
        call.GetProperty("output_tokens").GetInt64().ShouldBe(FakeUpstream.CompletionTokens);
        call.GetProperty("first_token_ms").GetDouble().ShouldBeGreaterThan(0);
    }

    [Theory]
    [InlineData(UpstreamMode.CutMidStream)]
    [InlineData(UpstreamMode.HangMidStream)]
    public async Task StreamCutOrSilentAfterOutputStarted_IsNotRetriedElsewhere_TheClientSeesTheError(UpstreamMode fault)
    {
        await ServeAsync();
        _a.Mode = fault;
        var text = new StringBuilder();

        await Should.ThrowAsync<Exception>(async () =>
        {
            await foreach (var update in Client().CompleteChatStreamingAsync([new UserChatMessage("hi")]))
            {
                foreach (var part in update.ContentUpdate)
                    text.Append(part.Text);
            }
        });

        text.ToString().ShouldBe("Hello", "the part that was streamed arrived");
        _b.Calls.ShouldBe(0);
        (await LastCallAsync()).GetProperty("outcome").GetString().ShouldBe("cut_mid_stream");
    }

    [Fact]
    public async Task EveryProviderFails_502WithEachReason_UnknownModel404_NoToken401()
    {
        await ServeAsync();
        _a.Mode = UpstreamMode.Status500;
        _b.Mode = UpstreamMode.Status500;

        var all = await Should.ThrowAsync<ClientResultException>(() => Client().CompleteChatAsync([new UserChatMessage("hi")]));
        all.Status.ShouldBe(502);
        all.Message.ShouldContain("a: HTTP 500");
        all.Message.ShouldContain("b: HTTP 500");

        (await Should.ThrowAsync<ClientResultException>(() => Client("no-such-model").CompleteChatAsync([new UserChatMessage("hi")]))).Status.ShouldBe(404);
        using var anonymous = new HttpClient();
        var noToken = await anonymous.PostAsync(_url + "/v1/chat/completions", new StringContent("{}", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        noToken.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Usage_ByProvider_MatchesWhatTheUpstreamsSentToTheToken()
    {
        await ServeAsync();
        await Client().CompleteChatAsync([new UserChatMessage("one")]);
        await Client().CompleteChatAsync([new UserChatMessage("two")]);
        _a.Mode = UpstreamMode.Status500;
        await Client().CompleteChatAsync([new UserChatMessage("three")]);
        await LastCallAsync(atLeast: 3);

        var r = await _t.Cli.RunAsync("usage", "--by", "provider", "--period", "day", "--json");

        r.ExitCode.ShouldBe(0, r.ToString());
        var rows = r.Json.GetProperty("rows").EnumerateArray().ToDictionary(x => x.GetProperty("key").GetString()!);
        var a = rows["a"];
        a.GetProperty("requests").GetInt64().ShouldBe(3, "two answers and one failed try, each an upstream request");
        a.GetProperty("failed").GetInt64().ShouldBe(1);
        a.GetProperty("input_tokens").GetInt64().ShouldBe(2 * (FakeUpstream.PromptTokens - FakeUpstream.CachedTokens));
        a.GetProperty("cached_input_tokens").GetInt64().ShouldBe(2 * FakeUpstream.CachedTokens);
        a.GetProperty("output_tokens").GetInt64().ShouldBe(2 * FakeUpstream.CompletionTokens);
        a.GetProperty("cost_usd").GetDecimal().ShouldBe(2 * ((200 * 2m) + (1000 * 0.5m) + (30 * 8m)) / 1_000_000m);
        var b = rows["b"];
        b.GetProperty("requests").GetInt64().ShouldBe(1);
        b.GetProperty("cost_usd").GetDecimal().ShouldBe(0m);
        b.GetProperty("unpriced_requests").GetInt64().ShouldBe(1, "b has no price: flagged, not silently $0");
        (await _t.Cli.RunAsync("usage", "--by", "colour")).ExitCode.ShouldBe(2);
    }

    [Fact]
    public async Task AttemptKey_AttributesSpendToTheJob_IsMaskedInItsOutput_AndDiesWithTheAttempt()
    {
        await ServeAsync(slots: 1);
        var r = await _t.Cli.RunInAsync(_t.Scratch, "submit", "--command",
            "echo \"$DROVER_GATEWAY_URL\" > gw.url; echo \"$DROVER_GATEWAY_KEY\" > gw.key; echo key $DROVER_GATEWAY_KEY; while [ ! -e release ]; do sleep 0.1; done",
            "--json");
        r.ExitCode.ShouldBe(0, r.ToString());
        var id = r.Json.GetProperty("id").GetInt64();
        var keyFile = Path.Combine(_t.Scratch, "gw.key");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(keyFile) && DateTime.UtcNow < deadline)
            await Task.Delay(50, TestContext.Current.CancellationToken);
        await Task.Delay(200, TestContext.Current.CancellationToken);
        var key = File.ReadAllText(keyFile).Trim();
        File.ReadAllText(Path.Combine(_t.Scratch, "gw.url")).Trim().ShouldBe(_url + "/v1");
        var asJob = new ChatClient("default", new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(_url + "/v1"), RetryPolicy = new ClientRetryPolicy(0) });

        (await asJob.CompleteChatAsync([new UserChatMessage("hi")])).Value.Content[0].Text.ShouldBe("Hello from a");
        using (var http = new HttpClient())
        {
            http.DefaultRequestHeaders.Authorization = new("Bearer", key);
            (await http.GetAsync(_url + "/api/status", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "a job key opens the gateway only");
        }

        File.WriteAllText(Path.Combine(_t.Scratch, "release"), "");
        var job = await _t.WaitForJobAsync(id, j => j.GetProperty("state").GetString() == "succeeded", TimeSpan.FromSeconds(60));
        job.GetProperty("summary").GetString().ShouldBe("key [secret DROVER_GATEWAY_KEY]");
        var usage = await _t.Cli.RunAsync("usage", "--by", "job", "--json");
        var row = usage.Json.GetProperty("rows").EnumerateArray().Single(x => x.GetProperty("key").GetString() == id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        row.GetProperty("output_tokens").GetInt64().ShouldBe(FakeUpstream.CompletionTokens);

        var dead = await Should.ThrowAsync<ClientResultException>(() => asJob.CompleteChatAsync([new UserChatMessage("again")]));
        dead.Status.ShouldBe(401, "the key stops working when its attempt ends");
    }

    /// <summary>The newest gateway.request event (recorded just after the answer ends, so it may take a moment).</summary>
    private async Task<JsonElement> LastCallAsync(int atLeast = 1)
    {
        using var http = _t.Http(_url);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var events = JsonDocument.Parse(await http.GetStringAsync("/api/events?since=0&limit=1000", TestContext.Current.CancellationToken))
                .RootElement.GetProperty("events").EnumerateArray().Where(e => e.GetProperty("type").GetString() == "gateway.request").ToList();
            if (events.Count >= atLeast || DateTime.UtcNow > deadline)
                return events.Last().GetProperty("data").Clone();
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_serve is not null)
            await _serve.DisposeAsync();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        _t.Dispose();
    }
}
