using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Drover.Cli.Bench;

/// <summary>
/// Gateway overhead: one fake OpenAI upstream (in this process, no artificial delay) called directly and through the
/// /v1 gateway of a real <c>drover serve</c> child, over one pooled HttpClient, in interleaved batches (D G | G D | …)
/// so drift hits both sides alike, after one unmeasured warm-up round of the same pattern. Non-streaming: send → whole
/// body read; streaming: send → first content chunk (time to first token). Added latency = gateway − direct, per rep.
/// </summary>
public static partial class GatewayBench
{
    private const int Batches = 10;
    private static readonly byte[] PlainBody = """{"model":"m","messages":[{"role":"user","content":"Say hello"}]}"""u8.ToArray();
    private static readonly byte[] StreamBody = """{"model":"m","messages":[{"role":"user","content":"Say hello"}],"stream":true,"stream_options":{"include_usage":true}}"""u8.ToArray();

    private sealed record Target(string Name, Uri Url, string? Authorization);

    public static async Task RunAsync(IReadOnlyList<int> concurrencies, int requests, int warmup, int reps, BenchStats stats, TextWriter progress, CancellationToken ct)
    {
        if (requests < 1 || concurrencies.Count == 0 || concurrencies.Any(c => c < 1))
            throw new ArgumentException("--gw-requests and every --gw-concurrency must be at least 1");
        await using var upstream = await FakeUpstream.StartAsync(ct);
        using var dir = new TempDir();
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "drover.toml"), $$"""
            [gateway]
            enabled = true

            [[providers]]
            name = "fake"
            base_url = "{{upstream.BaseUrl}}"
            models = ["m"]
            price = { input = 1.0, output = 2.0 }
            """, ct);
        var output = new ConcurrentQueue<string>();
        using var serve = StartServe(dir.Path, output);
        try
        {
            var url = await WaitForServerAsync(serve, new DroverHome(dir.Path), output, ct);
            var token = new DroverHome(dir.Path).ReadToken() ?? throw new InvalidOperationException("serve wrote no token file");
            using var http = new HttpClient(new SocketsHttpHandler
            {
                UseProxy = false,
                UseCookies = false,
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.None,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
                ConnectTimeout = TimeSpan.FromSeconds(10),
            })
            { Timeout = TimeSpan.FromSeconds(30) };
            var direct = new Target("direct", new Uri(upstream.BaseUrl + "/chat/completions"), null);
            var gateway = new Target("gateway", new Uri(url + "/v1/chat/completions"), "Bearer " + token);
            await CheckAsync(http, upstream.BaseUrl, url, direct, gateway, ct);

            // Warm-up is one unmeasured round of the measured pattern: a couple of hundred calls were not enough here, the
            // first measured rep at conc 1 still came out ~2x slower through the gateway than the later ones (serve warming up).
            await progress.WriteLineAsync($"  serve pid {serve.Id} at {url}, upstream {upstream.BaseUrl}; warm-up round of {warmup} calls per concurrency, mode and target");
            for (var rep = warmup > 0 ? 0 : 1; rep <= reps; rep++)
            {
                foreach (var conc in concurrencies)
                {
                    foreach (var stream in new[] { false, true })
                    {
                        var (d, g) = await MeasureAsync(http, direct, gateway, stream, rep == 0 ? warmup : requests, conc, ct);
                        if (rep > 0)
                            await ReportAsync(d, g, stream, conc, rep, stats, progress);
                    }
                }
            }
        }
        finally
        {
            await StopAsync(serve);
        }
    }

    /// <summary>Direct and gateway calls in alternating batches (D G | G D | …): the latencies of each, sorted.</summary>
    private static async Task<(List<double> Direct, List<double> Gateway)> MeasureAsync(HttpClient http, Target direct, Target gateway, bool stream, int requests, int conc, CancellationToken ct)
    {
        var d = new List<double>(requests);
        var g = new List<double>(requests);
        for (var b = 0; b < Batches; b++)
        {
            var size = (requests / Batches) + (b < requests % Batches ? 1 : 0);
            var gatewayFirst = b % 2 == 1;
            (gatewayFirst ? g : d).AddRange(await BatchAsync(http, gatewayFirst ? gateway : direct, stream, size, conc, ct));
            (gatewayFirst ? d : g).AddRange(await BatchAsync(http, gatewayFirst ? direct : gateway, stream, size, conc, ct));
        }

        d.Sort();
        g.Sort();
        return (d, g);
    }

    private static async Task ReportAsync(List<double> d, List<double> g, bool stream, int conc, int rep, BenchStats stats, TextWriter progress)
    {
        double dp50 = BenchStats.Percentile(d, 50), dp99 = BenchStats.Percentile(d, 99);
        double gp50 = BenchStats.Percentile(g, 50), gp99 = BenchStats.Percentile(g, 99);
        var mode = stream ? "stream" : "nonstream";
        var m = stream ? "ttft_" : "";
        var key = $"gateway mode={mode} conc={conc} metric=";
        stats.Add($"{key}direct_{m}p50_ms", dp50);
        stats.Add($"{key}direct_{m}p99_ms", dp99);
        stats.Add($"{key}gateway_{m}p50_ms", gp50);
        stats.Add($"{key}gateway_{m}p99_ms", gp99);
        stats.Add($"{key}added_{m}p50_ms", gp50 - dp50);
        stats.Add($"{key}added_{m}p99_ms", gp99 - dp99);
        await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"  rep {rep} conc={conc} {mode}{(stream ? " ttft" : "")}: direct p50 {dp50:0.000} p99 {dp99:0.000} ms, gateway p50 {gp50:0.000} p99 {gp99:0.000} ms, added {gp50 - dp50:+0.000;-0.000} / {gp99 - dp99:+0.000;-0.000} ms"));
    }

    /// <summary><paramref name="count"/> calls by <paramref name="conc"/> concurrent callers; the latency of each, in ms.</summary>
    private static async Task<double[]> BatchAsync(HttpClient http, Target target, bool stream, int count, int conc, CancellationToken ct)
    {
        var lat = new double[count];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Math.Min(conc, count)).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
                lat[i] = stream ? await FirstTokenAsync(http, target, ct) : await WholeAsync(http, target, ct);
        }));
        return lat;
    }

    private static async Task<double> WholeAsync(HttpClient http, Target target, CancellationToken ct)
    {
        using var request = Request(target, PlainBody);
        var start = Stopwatch.GetTimestamp();
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        await EnsureOkAsync(target, response, ct);
        return ms;
    }

    /// <summary>Time until the first <c>data:</c> line carrying <c>"content"</c>; the rest of the stream is drained (unmeasured) so the connection is reused.</summary>
    private static async Task<double> FirstTokenAsync(HttpClient http, Target target, CancellationToken ct)
    {
        using var request = Request(target, StreamBody);
        var start = Stopwatch.GetTimestamp();
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        await EnsureOkAsync(target, response, ct);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        using var reader = new StreamReader(body, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 4096);
        double? ttft = null;
        var done = false;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (ttft is null && line.StartsWith("data:", StringComparison.Ordinal) && line.Contains("\"content\"", StringComparison.Ordinal))
                ttft = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            done |= line == "data: [DONE]";
        }

        return ttft is { } ms && done ? ms : throw new InvalidOperationException($"{target.Name}: the stream had no content chunk or no [DONE]");
    }

    private static HttpRequestMessage Request(Target target, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, target.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        if (target.Authorization is { } auth)
            request.Headers.TryAddWithoutValidation("Authorization", auth);
        return request;
    }

    private static async Task EnsureOkAsync(Target target, HttpResponseMessage response, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{target.Name}: HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
    }

    /// <summary>One call of each kind both ways, checked, before anything is timed.</summary>
    private static async Task CheckAsync(HttpClient http, string upstreamBase, string serveUrl, Target direct, Target gateway, CancellationToken ct)
    {
        foreach (var t in new[] { direct, gateway })
        {
            using var request = Request(t, PlainBody);
            using var response = await http.SendAsync(request, ct);
            await EnsureOkAsync(t, response, ct);
            var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct));
            if (answer?["usage"]?["prompt_tokens"] is null || answer["choices"]?[0]?["message"]?["content"] is null)
                throw new InvalidOperationException($"{t.Name}: unexpected answer {answer?.ToJsonString()}");
            await FirstTokenAsync(http, t, ct);
        }

        foreach (var (models, auth) in new[] { (upstreamBase + "/models", (string?)null), (serveUrl + "/v1/models", gateway.Authorization) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, models);
            if (auth is not null)
                request.Headers.TryAddWithoutValidation("Authorization", auth);
            using var response = await http.SendAsync(request, ct);
            await EnsureOkAsync(new Target(models, request.RequestUri!, null), response, ct);
        }
    }

    internal static Process StartServe(string home, ConcurrentQueue<string> output, int slots = 0)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "drover.dll"), "serve", "--home", home, "--port", "0", "--slots", slots.ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(arg);
        var p = Process.Start(psi)!;
        void Keep(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null)
                return;
            output.Enqueue(e.Data);
            while (output.Count > 40)
                output.TryDequeue(out var _);
        }

        p.OutputDataReceived += Keep;
        p.ErrorDataReceived += Keep;
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>The URL a `serve` of <paramref name="home"/> publishes in server.json once it listens (as the integration tests find it).</summary>
    internal static async Task<string> WaitForServerAsync(Process serve, DroverHome home, ConcurrentQueue<string> output, CancellationToken ct)
    {
        var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 60);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (File.Exists(home.ServerInfoPath))
            {
                try
                {
                    using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(home.ServerInfoPath, ct));
                    if (doc.RootElement.GetProperty("url").GetString() is { Length: > 0 } url)
                        return url;
                }
                catch (JsonException)
                {
                    // Being written: try again.
                }
            }

            if (serve.HasExited)
                throw new InvalidOperationException("drover serve exited early:\n" + string.Join('\n', output));
            await Task.Delay(100, ct);
        }

        throw new TimeoutException("drover serve did not publish server.json within 60 s:\n" + string.Join('\n', output));
    }

    internal static async Task StopAsync(Process serve)
    {
        if (serve.HasExited)
            return;
        _ = Kill(serve.Id, 15);
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await serve.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            serve.Kill(entireProcessTree: true);
            await serve.WaitForExitAsync(CancellationToken.None);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int sig);

    /// <summary>An OpenAI chat-completions provider on 127.0.0.1: a fixed answer with usage, streamed as SSE chunks when asked.</summary>
    private sealed class FakeUpstream(WebApplication app, int port) : IAsyncDisposable
    {
        public string BaseUrl => $"http://127.0.0.1:{port}/v1";

        public static async Task<FakeUpstream> StartAsync(CancellationToken ct)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            app.MapPost("/v1/chat/completions", AnswerAsync);
            app.MapGet("/v1/models", (HttpContext c) => WriteJsonAsync(c, new JsonObject
            {
                ["object"] = "list",
                ["data"] = new JsonArray(new JsonObject { ["id"] = "m", ["object"] = "model", ["owned_by"] = "fake" }),
            }));
            await app.StartAsync(ct);
            return new FakeUpstream(app, new Uri(app.Urls.First()).Port);
        }

        private static async Task AnswerAsync(HttpContext c)
        {
            using var body = await JsonDocument.ParseAsync(c.Request.Body, cancellationToken: c.RequestAborted);
            var root = body.RootElement;
            var model = root.TryGetProperty("model", out var m) ? m.GetString() : null;
            var stream = root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
            var includeUsage = root.TryGetProperty("stream_options", out var o) && o.TryGetProperty("include_usage", out var u) && u.ValueKind == JsonValueKind.True;
            JsonObject Usage() => new() { ["prompt_tokens"] = 1200, ["completion_tokens"] = 30, ["total_tokens"] = 1230 };
            JsonObject Envelope(string kind, JsonArray choices) => new() { ["id"] = "chatcmpl-bench", ["object"] = kind, ["created"] = 1_700_000_000, ["model"] = model, ["choices"] = choices };
            if (!stream)
            {
                var answer = Envelope("chat.completion", [new JsonObject
                {
                    ["index"] = 0,
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = "Hello from fake" },
                    ["finish_reason"] = "stop",
                }]);
                answer["usage"] = Usage();
                await WriteJsonAsync(c, answer);
                return;
            }

            c.Response.ContentType = "text/event-stream";
            async Task ChunkAsync(JsonObject delta, string? finish, JsonObject? usage = null)
            {
                var chunk = Envelope("chat.completion.chunk", [new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }]);
                if (usage is not null)
                    chunk["usage"] = usage;
                await c.Response.WriteAsync($"data: {chunk.ToJsonString()}\n\n", c.RequestAborted);
                await c.Response.Body.FlushAsync(c.RequestAborted);
            }

            await ChunkAsync(new JsonObject { ["role"] = "assistant" }, null);
            await ChunkAsync(new JsonObject { ["content"] = "Hello" }, null);
            await ChunkAsync(new JsonObject { ["content"] = " from fake" }, null);
            await ChunkAsync([], "stop", includeUsage ? Usage() : null);
            await c.Response.WriteAsync("data: [DONE]\n\n", c.RequestAborted);
        }

        private static Task WriteJsonAsync(HttpContext c, JsonNode node)
        {
            var bytes = Encoding.UTF8.GetBytes(node.ToJsonString());
            c.Response.ContentType = "application/json";
            c.Response.ContentLength = bytes.Length;
            return c.Response.Body.WriteAsync(bytes, c.RequestAborted).AsTask();
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }
}
