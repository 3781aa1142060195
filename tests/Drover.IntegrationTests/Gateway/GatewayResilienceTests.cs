using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace Drover.IntegrationTests.Gateway;

/// <summary>
/// Circuits, quota skips, limits, budgets, health probes and the Responses/Messages protocols of a real
/// <c>drover serve</c>, against fault-injecting fake providers on 127.0.0.1.
/// </summary>
public sealed class GatewayResilienceTests : IAsyncLifetime
{
    private const string ProviderKey = "sk-provider-a-0123456789SECRET";

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

    /// <summary>Route "default" = a then b; a is priced and its key comes from the secret store.</summary>
    private async Task ServeAsync(string aExtra = "", string bExtra = "", string more = "", int slots = 0, bool aProbed = false, string idleTimeout = "2s")
    {
        (await _t.Cli.RunAsync("secret", "set", "A_KEY", ProviderKey)).ExitCode.ShouldBe(0);
        await File.WriteAllTextAsync(Path.Combine(_t.Home, "drover.toml"), $$"""
            [gateway]
            enabled = true
            first_byte_timeout = "2s"
            idle_timeout = "{{idleTimeout}}"
            max_retry_after = "0s"
            health_interval = "1s"

            [[providers]]
            name = "a"
            base_url = "{{_a.BaseUrl}}"
            models = ["model-a"]
            api_key_secret = "A_KEY"
            {{(aProbed ? "" : "health_check = false")}}
            price = { input = 2.0, cached_input = 0.5, output = 8.0 }
            {{aExtra}}

            [[providers]]
            name = "b"
            base_url = "{{_b.BaseUrl}}"
            models = ["model-b"]
            health_check = false
            {{bExtra}}

            [routes.default]
            cascade = ["a", "b"]

            {{more}}
            """);
        _serve = _t.Cli.Start(["serve", "--port", "0", "--slots", slots.ToString(CultureInfo.InvariantCulture)]);
        _url = await _t.WaitForServerAsync(_serve, TimeSpan.FromSeconds(60));
    }

    private ChatClient Client(string? key = null) => new("default", new ApiKeyCredential(key ?? _t.Token), new OpenAIClientOptions
    {
        Endpoint = new Uri(_url + "/v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        NetworkTimeout = TimeSpan.FromSeconds(30),
    });

    private async Task<string> AskAsync(string? key = null) => (await Client(key).CompleteChatAsync([new UserChatMessage("hi")])).Value.Content[0].Text;

    private async Task<JsonElement> ProviderAsync(string name)
    {
        var r = await _t.Cli.RunAsync("providers", "--json");
        r.ExitCode.ShouldBe(0, r.ToString());
        return r.Json.GetProperty("providers").EnumerateArray().Single(p => p.GetProperty("name").GetString() == name).Clone();
    }

    [Fact]
    public async Task ThreeFailuresOpenTheCircuit_TheProviderIsSkipped_ThenProbedAfterTheCooldownAndClosed()
    {
        await ServeAsync();
        _a.Mode = UpstreamMode.Status500;
        for (var i = 0; i < 3; i++)
            (await AskAsync()).ShouldBe("Hello from b");
        _a.Calls.ShouldBe(3);

        var a = await ProviderAsync("a");
        a.GetProperty("circuit").GetProperty("state").GetString().ShouldBe("open");
        a.GetProperty("circuit").GetProperty("last_error").GetString().ShouldNotBeNull().ShouldContain("HTTP 500");
        a.GetProperty("last_hour").GetProperty("failures").GetInt64().ShouldBe(3);
        var openUntil = a.GetProperty("circuit").GetProperty("open_until").GetDateTimeOffset();
        (openUntil - DateTimeOffset.UtcNow).ShouldBeInRange(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(31));

        (await AskAsync()).ShouldBe("Hello from b");
        _a.Calls.ShouldBe(3, "an open circuit is skipped without a call");
        var table = await _t.Cli.RunAsync("providers");
        table.Stdout.ShouldContain("a: HTTP 500: upstream exploded", customMessage: "an open circuit's last error is printed under the table");

        // After the 30 s cool-down one probe goes to a; it answers, and the circuit closes.
        _a.Mode = UpstreamMode.Ok;
        var wait = openUntil - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(300);
        if (wait > TimeSpan.Zero)
            await Task.Delay(wait, TestContext.Current.CancellationToken);
        (await AskAsync()).ShouldBe("Hello from a");
        _a.Calls.ShouldBe(4);
        (await ProviderAsync("a")).GetProperty("circuit").GetProperty("state").GetString().ShouldBe("closed");
        var events = await EventsAsync("provider.circuit");
        events.Select(e => e.GetProperty("state").GetString()).ShouldBe(["open", "closed"]);
    }

    [Fact]
    public async Task QuotaExhausted_IsSkippedUntilItsReset_AndTheCircuitStaysClosed()
    {
        await ServeAsync();
        _a.Mode = UpstreamMode.Quota;
        (await AskAsync()).ShouldBe("Hello from b");
        (await AskAsync()).ShouldBe("Hello from b");
        _a.Calls.ShouldBe(1, "skipped until the quota resets");

        var circuit = (await ProviderAsync("a")).GetProperty("circuit");
        circuit.GetProperty("state").GetString().ShouldBe("closed");
        (circuit.GetProperty("quota_until").GetDateTimeOffset() - DateTimeOffset.UtcNow).ShouldBeGreaterThan(TimeSpan.FromMinutes(55), "Retry-After 3600");
    }

    [Theory]
    [InlineData(UpstreamMode.MalformedJson, false, "malformed answer")]
    [InlineData(UpstreamMode.HangAfterHeaders, true, "stream cut or silent before any output")]
    public async Task AMalformedAnswerOrAStreamSilentBeforeOutput_FailsOver(UpstreamMode fault, bool stream, string reason)
    {
        await ServeAsync();
        _a.Mode = fault;
        var text = new StringBuilder();
        if (stream)
        {
            await foreach (var u in Client().CompleteChatStreamingAsync([new UserChatMessage("hi")]))
            {
                foreach (var part in u.ContentUpdate)
                    text.Append(part.Text);
            }
        }
        else
        {
            text.Append(await AskAsync());
        }

        text.ToString().ShouldBe("Hello from b");
        var call = (await EventsAsync("gateway.request")).Last();
        call.GetProperty("skipped")[0].GetString().ShouldBe($"a: {reason}" + (fault == UpstreamMode.MalformedJson ? " (not JSON)" : ""));
    }

    [Fact]
    public async Task RpmLimit_SendsTheOverflowAlongTheRoute_NotBackToTheClient()
    {
        await ServeAsync(aExtra: "rpm = 2");
        var answers = new List<string>();
        for (var i = 0; i < 4; i++)
            answers.Add(await AskAsync());

        answers.ShouldBe(["Hello from a", "Hello from a", "Hello from b", "Hello from b"]);
        _a.Calls.ShouldBe(2);
        var a = await ProviderAsync("a");
        a.GetProperty("used").GetProperty("rpm").GetInt64().ShouldBe(2);
        a.GetProperty("limits").GetProperty("rpm").GetInt32().ShouldBe(2);
        (await EventsAsync("gateway.request")).Last().GetProperty("skipped")[0].GetString().ShouldNotBeNull().ShouldStartWith("a: rpm 2 reached");
    }

    [Fact]
    public async Task AClientThatLeavesMidStream_IsBooked_AndFreesItsConcurrencySlot()
    {
        // A long idle timeout: on a loaded machine the steps below can take longer than 2 s, and then the gateway would
        // rightly cut the silent stream before the client leaves.
        await ServeAsync(aExtra: "max_concurrent = 1", idleTimeout: "60s");
        _a.Mode = UpstreamMode.HangMidStream;
        // No draining on dispose: the connection closes as a client that leaves would close it.
        using (var http = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = new Uri(_url) })
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _t.Token);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = Json("""{"model": "default", "stream": true, "messages": [{"role": "user", "content": "hi"}]}"""),
            };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
            await using var body = await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
            var first = new byte[64];
            (await body.ReadAsync(first, TestContext.Current.CancellationToken)).ShouldBeGreaterThan(0, "the first chunk arrived");
            (await ProviderAsync("a")).GetProperty("used").GetProperty("in_flight").GetInt64().ShouldBe(1);
        }

        // The client is gone: the gateway stops reading, books the call, and a's only slot is free again.
        (await EventsAsync("gateway.request")).Single().GetProperty("outcome").GetString().ShouldBe("client_closed");
        _a.Mode = UpstreamMode.Ok;
        (await AskAsync()).ShouldBe("Hello from a");
        (await ProviderAsync("a")).GetProperty("circuit").GetProperty("consecutive_failures").GetInt32().ShouldBe(0, "a client leaving is not the provider's failure");
    }

    [Fact]
    public async Task JobBudget_RefusesTheCallThatCouldGoOver_FailsTheJobBudgetExhausted_SpendStaysWithinOneReservation()
    {
        // Each call really costs 200×2 + 1000×0.5 + 30×8 = $0.00114; its hold is ~33 input tokens × $2 + 100 output × $8 ≈ $0.00087.
        await ServeAsync(aExtra: "max_output_tokens = 100", slots: 1);
        var (id, key) = await StartKeyedJobAsync("""{"budget": {"usd": 0.01}}""");

        var answered = 0;
        ClientResultException? refused = null;
        for (var i = 0; i < 30 && refused is null; i++)
        {
            try
            {
                await Client(key).CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions(), TestContext.Current.CancellationToken);
                answered++;
                await EventsAsync("gateway.request", atLeast: answered);
            }
            catch (ClientResultException e)
            {
                refused = e;
            }
        }

        refused.ShouldNotBeNull();
        refused.Status.ShouldBe(400, refused.Message);
        refused.Message.ShouldContain("budget_exceeded");
        answered.ShouldBe(9, "8 calls fit under $0.01 with room for a hold; the 9th's hold still fits; the 10th's does not");
        var job = await _t.WaitForJobAsync(id, j => j.GetProperty("state").GetString() == "failed", TimeSpan.FromSeconds(30));
        job.GetProperty("class").GetString().ShouldBe("budget_exhausted");
        job.GetProperty("reason").GetString().ShouldNotBeNull().ShouldContain($"job:{id}");

        var spent = answered * ((200 * 2m) + (1000 * 0.5m) + (30 * 8m)) / 1_000_000m;
        var usage = await _t.Cli.RunAsync("usage", "--by", "job", "--json");
        var row = usage.Json.GetProperty("rows").EnumerateArray().Single(x => x.GetProperty("key").GetString() == id.ToString(CultureInfo.InvariantCulture));
        row.GetProperty("cost_usd").GetDecimal().ShouldBe(spent);
        (spent - 0.01m).ShouldBeLessThan(0.00087m, "over the budget by less than one call's hold");
        var alerts = await EventsAsync("budget.alert");
        alerts.Select(a => a.GetProperty("percent").GetInt32()).ShouldBe([80, 100]);
        (await EventsAsync("budget.exceeded")).ShouldHaveSingleItem().GetProperty("scope").GetString().ShouldBe($"job:{id}");
    }

    [Fact]
    public async Task DailyBudget_StopsPaidCalls_ButAFreeProviderStillAnswers()
    {
        // A call's hold: ~27 input tokens × $2 + 1,000 output × $8 ≈ $0.0081; it really costs $0.00114.
        await ServeAsync(aExtra: "max_output_tokens = 1000", bExtra: "price = { input = 0.0, output = 0.0 }", more: """
            [routes.free]
            cascade = ["b"]

            [budgets]
            daily_usd = 0.01
            """);
        var paid = new ChatClient("a/model-a", new ApiKeyCredential(_t.Token), new OpenAIClientOptions { Endpoint = new Uri(_url + "/v1"), RetryPolicy = new ClientRetryPolicy(0) });
        for (var i = 1; i <= 2; i++)
        {
            (await paid.CompleteChatAsync([new UserChatMessage("hi")])).Value.Content[0].Text.ShouldBe("Hello from a");
            await EventsAsync("gateway.request", atLeast: i); // booked (the books are written just after the answer)
        }

        // $0.00228 spent + a $0.0081 hold would pass $0.01.
        var refused = await Should.ThrowAsync<ClientResultException>(() => paid.CompleteChatAsync([new UserChatMessage("hi")]));
        refused.Status.ShouldBe(400);
        refused.Message.ShouldContain("budget day:");
        (await AskAsync()).ShouldBe("Hello from b", "along the default route, the paid provider is refused and the free one answers");

        var free = new ChatClient("free", new ApiKeyCredential(_t.Token), new OpenAIClientOptions { Endpoint = new Uri(_url + "/v1"), RetryPolicy = new ClientRetryPolicy(0) });
        (await free.CompleteChatAsync([new UserChatMessage("hi")])).Value.Content[0].Text.ShouldBe("Hello from b", "price 0 never consumes a USD budget");
    }

    [Fact]
    public async Task ResponsesAndMessages_PassThrough_WithUsageFromTheirOwnShapes_AndTheProviderKeyNeverLeaks()
    {
        await ServeAsync(bExtra: """
            kind = "anthropic"
            api_key_secret = "A_KEY"
            price = { input = 3.0, cached_input = 0.3, cache_write = 3.75, output = 15.0 }
            """);
        using var http = new HttpClient { BaseAddress = new Uri(_url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _t.Token);

        // Responses (codex's protocol), streamed: usage read from response.completed.
        using (var r = await http.PostAsync("/v1/responses", Json("""{"model": "a/model-a", "input": "hi", "stream": true}"""), TestContext.Current.CancellationToken))
        {
            r.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await r.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldContain("response.completed");
        }

        var responses = (await EventsAsync("gateway.request")).Last();
        (responses.GetProperty("protocol").GetString(), responses.GetProperty("input_tokens").GetInt64(), responses.GetProperty("cached_input_tokens").GetInt64(),
            responses.GetProperty("output_tokens").GetInt64(), responses.GetProperty("reasoning_tokens").GetInt64())
            .ShouldBe(("responses", FakeUpstream.PromptTokens - FakeUpstream.CachedTokens, FakeUpstream.CachedTokens, FakeUpstream.CompletionTokens, 10L));
        _a.LastCredential.ShouldBe("Bearer " + ProviderKey);

        // Messages (claude's protocol) with x-api-key, as claude sends it: streamed and not, to the anthropic provider.
        using var anthropic = new HttpClient { BaseAddress = new Uri(_url) };
        anthropic.DefaultRequestHeaders.Add("x-api-key", _t.Token);
        anthropic.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        foreach (var stream in new[] { false, true })
        {
            using var r = await anthropic.PostAsync("/v1/messages", Json($$"""{"model": "model-b", "max_tokens": 64, "stream": {{(stream ? "true" : "false")}}, "messages": [{"role": "user", "content": "hi"}]}"""), TestContext.Current.CancellationToken);
            r.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await r.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldContain("Hello from b");
            var call = (await EventsAsync("gateway.request", atLeast: stream ? 3 : 2)).Last();
            (call.GetProperty("protocol").GetString(), call.GetProperty("provider").GetString(), call.GetProperty("input_tokens").GetInt64(),
                call.GetProperty("cached_input_tokens").GetInt64(), call.GetProperty("cache_write_tokens").GetInt64(), call.GetProperty("output_tokens").GetInt64())
                .ShouldBe(("messages", "b", FakeUpstream.PromptTokens - FakeUpstream.CachedTokens, FakeUpstream.CachedTokens, FakeUpstream.CacheWriteTokens, FakeUpstream.CompletionTokens));
            call.GetProperty("cost_usd").GetDecimal().ShouldBe(((200 * 3m) + (1000 * 0.3m) + (50 * 3.75m) + (30 * 15m)) / 1_000_000m);
        }

        _b.LastCredential.ShouldBe(ProviderKey, "x-api-key carries the provider's own key upstream");
        _b.LastBody!["model"]!.GetValue<string>().ShouldBe("model-b");

        // An OpenAI-protocol call cannot go to an anthropic-only model, and says why.
        using (var wrong = await http.PostAsync("/v1/chat/completions", Json("""{"model": "model-b", "messages": []}"""), TestContext.Current.CancellationToken))
        {
            wrong.StatusCode.ShouldBe(HttpStatusCode.NotFound);
            (await wrong.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldContain("kind openai");
        }

        // The provider key appears nowhere a user or a log could read it.
        var everything = new StringBuilder();
        everything.Append(await http.GetStringAsync("/api/events?since=0&limit=1000", TestContext.Current.CancellationToken));
        everything.Append(await http.GetStringAsync("/api/providers", TestContext.Current.CancellationToken));
        everything.Append(await http.GetStringAsync("/api/usage?by=provider", TestContext.Current.CancellationToken));
        everything.Append(_serve!.Output);
        foreach (var file in Directory.EnumerateFiles(_t.Home, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith("secrets", StringComparison.Ordinal) && !f.EndsWith(".lock", StringComparison.Ordinal) && !f.EndsWith(".sock", StringComparison.Ordinal)))
            everything.Append(Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file, TestContext.Current.CancellationToken)));
        everything.ToString().ShouldNotContain(ProviderKey);
        everything.ToString().ShouldNotContain("hi\"", customMessage: "no prompt text is stored");
    }

    [Fact]
    public async Task ALocalProviderThatGoesDown_IsProbedEverySecond_MarkedDown_AndItsCircuitOpens()
    {
        // A loopback provider is health-checked by default; GET /models only, never a generating call.
        await ServeAsync(aProbed: true);

        var deadline = Stopwatch.StartNew();
        while (_a.Probes < 2 && deadline.Elapsed < TimeSpan.FromSeconds(20))
            await Task.Delay(100, TestContext.Current.CancellationToken);
        _a.Probes.ShouldBeGreaterThanOrEqualTo(2);
        _a.Calls.ShouldBe(0, "probes never generate");
        _b.Probes.ShouldBe(0, "b opted out with health_check = false");
        (await ProviderAsync("a")).GetProperty("health").GetString().ShouldBe("up");

        await _a.DisposeAsync();
        JsonElement a;
        do
        {
            await Task.Delay(250, TestContext.Current.CancellationToken);
            a = await ProviderAsync("a");
        }
        while (a.GetProperty("circuit").GetProperty("state").GetString() != "open" && deadline.Elapsed < TimeSpan.FromSeconds(40));

        a.GetProperty("health").GetString().ShouldNotBeNull().ShouldStartWith("down");
        a.GetProperty("circuit").GetProperty("state").GetString().ShouldBe("open", "three failed probes open the circuit");
        (await AskAsync()).ShouldBe("Hello from b");
        _a = await FakeUpstream.StartAsync("a-again"); // for DisposeAsync
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>Starts a shell job (with extra spec keys) that hands its gateway key to the test and waits.</summary>
    private async Task<(long Id, string Key)> StartKeyedJobAsync(string extraJson)
    {
        var spec = System.Text.Json.Nodes.JsonNode.Parse(extraJson)!.AsObject();
        spec["command"] = "echo \"$DROVER_GATEWAY_KEY\" > gw.key; while [ ! -e release ]; do sleep 0.1; done";
        var file = Path.Combine(_t.Scratch, "job.json");
        await File.WriteAllTextAsync(file, spec.ToJsonString(), TestContext.Current.CancellationToken);
        var r = await _t.Cli.RunInAsync(_t.Scratch, "submit", "--file", file, "--json");
        r.ExitCode.ShouldBe(0, r.ToString());
        var keyFile = Path.Combine(_t.Scratch, "gw.key");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((!File.Exists(keyFile) || new FileInfo(keyFile).Length < 10) && DateTime.UtcNow < deadline)
            await Task.Delay(50, TestContext.Current.CancellationToken);
        return (r.Json.GetProperty("id").GetInt64(), (await File.ReadAllTextAsync(keyFile, TestContext.Current.CancellationToken)).Trim());
    }

    private async Task<List<JsonElement>> EventsAsync(string type, int atLeast = 1)
    {
        using var http = _t.Http(_url);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var events = JsonDocument.Parse(await http.GetStringAsync("/api/events?since=0&limit=1000", TestContext.Current.CancellationToken))
                .RootElement.GetProperty("events").EnumerateArray().Where(e => e.GetProperty("type").GetString() == type)
                .Select(e => e.GetProperty("data").Clone()).ToList();
            if (events.Count >= atLeast || DateTime.UtcNow > deadline)
                return events;
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        File.WriteAllText(Path.Combine(_t.Scratch, "release"), "");
        if (_serve is not null)
            await _serve.DisposeAsync();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        _t.Dispose();
    }
}
