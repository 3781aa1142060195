using System.Net;

namespace Drover.IntegrationTests.Security;

/// <summary><c>[server] max_streams</c> on a real <c>drover serve</c>: one stream over the cap gets 503 with Retry-After,
/// the open ones all get the same events, and a closed stream frees its slot.</summary>
public sealed class StreamCapTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EventStream_OverMaxStreams_Gets503AndTheOpenOnesAllReceiveTheEvent()
    {
        using var t = new TestHome();
        await File.WriteAllTextAsync(Path.Combine(t.Home, "drover.toml"), "[server]\nmax_streams = 3\n", Ct);
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "0"]);
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        using var http = t.Http(url);
        http.Timeout = Timeout.InfiniteTimeSpan;

        var open = new List<(HttpResponseMessage Response, StreamReader Reader)>();
        for (var i = 0; i < 3; i++)
        {
            var r = await http.GetAsync("/api/events/stream?since=latest", HttpCompletionOption.ResponseHeadersRead, Ct);
            r.StatusCode.ShouldBe(HttpStatusCode.OK);
            var reader = new StreamReader(await r.Content.ReadAsStreamAsync(Ct));
            (await reader.ReadLineAsync(Ct)).ShouldBe(": drover events");
            open.Add((r, reader));
        }

        try
        {
            using (var over = await http.GetAsync("/api/events/stream", HttpCompletionOption.ResponseHeadersRead, Ct))
            {
                over.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
                over.Headers.RetryAfter!.Delta!.Value.ShouldBeGreaterThan(TimeSpan.Zero);
                (await over.Content.ReadAsStringAsync(Ct)).ShouldContain("max_streams");
            }

            using (var pause = await http.PostAsync("/api/fleet/pause", null, Ct))
                pause.StatusCode.ShouldBe(HttpStatusCode.OK);
            foreach (var (_, reader) in open)
                (await NextEventAsync(reader)).ShouldBe("fleet.paused");

            open[0].Reader.Dispose();
            open[0].Response.Dispose();
            var deadline = DateTime.UtcNow.AddSeconds(15);
            HttpStatusCode status;
            do
            {
                await Task.Delay(200, Ct);
                using var again = await http.GetAsync("/api/events/stream?since=latest", HttpCompletionOption.ResponseHeadersRead, Ct);
                status = again.StatusCode;
            }
            while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline);
            status.ShouldBe(HttpStatusCode.OK, "a closed stream frees its slot");
            serve.Output.ShouldContain("refused a stream: 3 streams are open, [server] max_streams is 3");
        }
        finally
        {
            foreach (var (response, reader) in open)
            {
                reader.Dispose();
                response.Dispose();
            }
        }
    }

    private static async Task<string> NextEventAsync(StreamReader reader)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
                return line["event: ".Length..];
        }

        return "(end of stream)";
    }
}
