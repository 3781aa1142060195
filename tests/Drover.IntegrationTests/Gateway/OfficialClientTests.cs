using System.Globalization;
using System.Text.Json;
using Drover.IntegrationTests.RealClis;

namespace Drover.IntegrationTests.Gateway;

/// <summary>
/// The official <c>openai</c> and <c>@anthropic-ai/sdk</c> npm packages, unmodified and with no setup of their own,
/// run by a shell job of a real <c>drover serve</c> with the gateway on: the attempt's environment alone must point
/// them at the gateway with the attempt's key. The providers are fakes on 127.0.0.1 (route "default" = a then b).
/// </summary>
public sealed class OfficialClientTests : IAsyncLifetime
{
    private const string OpenAiPackage = "openai@7.60.0";
    private const string AnthropicPackage = "@anthropic-ai/sdk@1.17.0";

    private readonly TestHome _t = new();
    private FakeUpstream? _a;
    private FakeUpstream? _b;
    private FakeUpstream? _c;
    private BackgroundProcess? _serve;
    private string _nodeModules = "";

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    /// <summary>Installs the packages (or skips the test, saying why), starts the fakes and serve.</summary>
    private async Task ServeAsync()
    {
        if (AgentClis.NpmMissing() is { } why)
            Assert.Skip(why);
        try
        {
            _nodeModules = await AgentClis.LibrariesAsync(OpenAiPackage, AnthropicPackage);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            Assert.Skip($"cannot install {OpenAiPackage} and {AnthropicPackage} from the npm registry: {e.Message}");
        }

        _a = await FakeUpstream.StartAsync("a");
        _b = await FakeUpstream.StartAsync("b");
        _c = await FakeUpstream.StartAsync("c");

        // The worker's own values must not be what the clients use.
        _t.Cli.Env["OPENAI_API_KEY"] = "the-worker-s-own-key";
        _t.Cli.Env["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1";
        _t.Cli.Env["ANTHROPIC_API_KEY"] = "the-worker-s-own-key";
        _t.Cli.Env["ANTHROPIC_BASE_URL"] = "http://127.0.0.1:9";
        await File.WriteAllTextAsync(Path.Combine(_t.Home, "drover.toml"), $$"""
            [gateway]
            enabled = true
            first_byte_timeout = "5s"
            max_retry_after = "0s"

            [[providers]]
            name = "a"
            base_url = "{{_a.BaseUrl}}"
            models = ["model-a"]
            price = { input = 2.0, cached_input = 0.5, output = 8.0 }

            [[providers]]
            name = "b"
            base_url = "{{_b.BaseUrl}}"
            models = ["model-b"]
            price = { input = 1.0, cached_input = 0.25, output = 4.0 }

            [[providers]]
            name = "c"
            kind = "anthropic"
            base_url = "{{_c.BaseUrl}}"
            models = ["claude-fake"]
            price = { input = 3.0, cached_input = 0.3, cache_write = 3.75, output = 15.0 }

            [routes.default]
            cascade = ["a", "b"]

            # The packages sit in the user's home, which the sandbox hides unless told otherwise.
            [sandbox]
            read_only = [{{JsonSerializer.Serialize(_nodeModules)}}]
            """);
        _serve = _t.Cli.Start(["serve", "--port", "0", "--slots", "1"]);
        await _t.WaitForServerAsync(_serve, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task OpenAiClient_InAShellJob_FailsOverStreamsAndBooksTheSpendOnTheJob()
    {
        await ServeAsync();
        _a!.Mode = UpstreamMode.Status500;
        var job = await RunScriptAsync("""
            const OpenAI = require("openai");
            const fs = require("fs");
            (async () => {
              const client = new OpenAI({ maxRetries: 0 });
              const messages = [{ role: "user", content: "hi" }];
              const answer = await client.chat.completions.create({ model: "default", messages });
              let streamed = "";
              const stream = await client.chat.completions.create({ model: "default", messages, stream: true });
              for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? "";
              fs.writeFileSync("answers.txt", answer.choices[0].message.content + "|" + streamed + "|" + client.baseURL);
            })().catch(e => { console.error(e.message); process.exit(1); });
            """);

        job.GetProperty("state").GetString().ShouldBe("succeeded", job.ToString());
        var (answer, streamed, baseUrl) = Answers();
        (answer, streamed).ShouldBe(("Hello from b", "Hello from b"), "a answered 500 both times; b answered");
        baseUrl.ShouldEndWith("/v1");
        _a!.Calls.ShouldBe(2);
        _b!.Calls.ShouldBe(2);
        _b!.LastBody!["stream"]!.GetValue<bool>().ShouldBeTrue();
        var spend = await SpendAsync(job, outputTokens: 2 * FakeUpstream.CompletionTokens);
        (Long(spend, "input_tokens"), Long(spend, "cached_input_tokens"), Long(spend, "output_tokens"))
            .ShouldBe((2 * (FakeUpstream.PromptTokens - FakeUpstream.CachedTokens), 2 * FakeUpstream.CachedTokens, 2 * FakeUpstream.CompletionTokens), spend.ToString());
        spend.GetProperty("cost_usd").GetDecimal().ShouldBe(2 * ((200 * 1m) + (1000 * 0.25m) + (30 * 4m)) / 1_000_000m);
    }

    [Fact]
    public async Task AnthropicClient_InAShellJob_ReachesMessagesThroughTheGatewayAndBooksTheSpendOnTheJob()
    {
        await ServeAsync();
        var job = await RunScriptAsync("""
            const Anthropic = require("@anthropic-ai/sdk").default;
            const fs = require("fs");
            (async () => {
              const client = new Anthropic({ maxRetries: 0 });
              const answer = await client.messages.create({ model: "claude-fake", max_tokens: 64, messages: [{ role: "user", content: "hi" }] });
              fs.writeFileSync("answers.txt", answer.content[0].text + "||" + client.baseURL);
            })().catch(e => { console.error(e.message); process.exit(1); });
            """);

        job.GetProperty("state").GetString().ShouldBe("succeeded", job.ToString());
        Answers().Answer.ShouldBe("Hello from c");
        _c!.Calls.ShouldBe(1);
        var spend = await SpendAsync(job, outputTokens: FakeUpstream.CompletionTokens);
        (Long(spend, "input_tokens"), Long(spend, "cached_input_tokens"), Long(spend, "output_tokens"))
            .ShouldBe((FakeUpstream.PromptTokens - FakeUpstream.CachedTokens, FakeUpstream.CachedTokens, FakeUpstream.CompletionTokens), spend.ToString());
        spend.GetProperty("cost_usd").GetDecimal().ShouldBe(((200 * 3m) + (1000 * 0.3m) + (50 * 3.75m) + (30 * 15m)) / 1_000_000m);
    }

    /// <summary>Runs <paramref name="script"/> with node as a shell job in the scratch dir and waits for it to end.</summary>
    private async Task<JsonElement> RunScriptAsync(string script)
    {
        await File.WriteAllTextAsync(Path.Combine(_t.Scratch, "client.js"), script, TestContext.Current.CancellationToken);
        var r = await _t.Cli.RunInAsync(_t.Scratch, "submit", "--command", "node client.js", "--env", "NODE_PATH=" + _nodeModules, "--json");
        r.ExitCode.ShouldBe(0, r.ToString());
        var id = r.Json.GetProperty("id").GetInt64();
        return await _t.WaitForJobAsync(id, j => j.GetProperty("state").GetString() is "succeeded" or "failed", TimeSpan.FromSeconds(90));
    }

    private (string Answer, string Streamed, string BaseUrl) Answers()
    {
        var parts = File.ReadAllText(Path.Combine(_t.Scratch, "answers.txt")).Split('|');
        return (parts[0], parts[1], parts[2]);
    }

    /// <summary>The job's gateway spend once its calls are booked (just after each answer ends, so it may take a moment).</summary>
    private async Task<JsonElement> SpendAsync(JsonElement job, long outputTokens)
    {
        var id = job.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var spend = (await _t.Cli.RunAsync("show", id, "--json")).Json.GetProperty("gateway_spend");
            if (Long(spend, "output_tokens") >= outputTokens || DateTime.UtcNow > deadline)
                return spend;
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    private static long Long(JsonElement e, string name) => e.GetProperty(name).GetInt64();

    public async ValueTask DisposeAsync()
    {
        if (_serve is not null)
            await _serve.DisposeAsync();
        foreach (var fake in new[] { _a, _b, _c })
        {
            if (fake is not null)
                await fake.DisposeAsync();
        }

        _t.Dispose();
    }
}
