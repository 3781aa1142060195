using System.Net;
using System.Text;
using System.Text.Json;

namespace Drover.IntegrationTests;

/// <summary>
/// The bad-spec corpus (tests/corpus/bad-specs/cases.json) through the real CLI and the real HTTP API:
/// every case is rejected with exit code 2 / HTTP 400 naming the field, and the store is unchanged.
/// </summary>
public sealed class BadInputTests
{
    private static readonly string CorpusDir = Path.Combine(AppContext.BaseDirectory, "corpus", "bad-specs");

    private static readonly JsonSerializerOptions CaseOptions = new() { PropertyNameCaseInsensitive = true };

    private sealed record Case(string File, string? Field, string? Contains, string? Generate);

    private static List<Case> Cases()
    {
        var json = File.ReadAllText(Path.Combine(CorpusDir, "cases.json"));
        return JsonSerializer.Deserialize<List<Case>>(json, CaseOptions)!;
    }

    private static byte[] Materialise(Case c, string repo)
    {
        if (c.Generate == "prompt_2mib")
        {
            var big = new string('x', 2 * 1024 * 1024);
            return Encoding.UTF8.GetBytes($"{{\"engine\":\"shell\",\"command\":\"true\",\"repo\":\"{repo}\",\"prompt\":\"{big}\"}}");
        }

        var bytes = File.ReadAllBytes(Path.Combine(CorpusDir, c.File));
        // Substitute {repo} at the byte level so deliberately invalid UTF-8 stays invalid.
        var marker = "{repo}"u8.ToArray();
        var repl = Encoding.UTF8.GetBytes(repo);
        var output = new List<byte>(bytes.Length);
        for (var i = 0; i < bytes.Length; i++)
        {
            if (i <= bytes.Length - marker.Length && bytes.AsSpan(i, marker.Length).SequenceEqual(marker))
            {
                output.AddRange(repl);
                i += marker.Length - 1;
            }
            else
            {
                output.Add(bytes[i]);
            }
        }

        return [.. output];
    }

    [Fact]
    public async Task Corpus_ThroughCliAndHttp_RejectedWithFieldAndStoreUnchanged()
    {
        using var t = new TestHome();
        var cases = Cases();
        cases.Count.ShouldBeGreaterThanOrEqualTo(40);
        var ct = TestContext.Current.CancellationToken;

        await using var serve = t.Cli.Start("serve", "--port", "0", "--slots", "0");
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        using var http = t.Http(url);
        var before = await SnapshotAsync(http, ct);
        var failures = new List<string>();
        await File.WriteAllTextAsync(Path.Combine(t.Scratch, "not-a-dir.txt"), "a file, not a repo\n", ct);

        foreach (var c in cases)
        {
            var body = Materialise(c, t.Scratch);
            // The CLI reads the file under its own name: some cases are about the file type itself.
            var ext = Path.GetExtension(c.File);
            var file = Path.Combine(t.Root, "case" + ext);
            await File.WriteAllBytesAsync(file, body, ct);

            var cli = await t.Cli.RunInAsync(t.Scratch, "submit", "--file", file, "--json", "--store", "sqlite:" + Path.Combine(t.Home, "drover.db"));
            if (cli.ExitCode != 2)
                failures.Add($"{c.File}: CLI exit {cli.ExitCode}: {cli.Stderr.Trim()}");
            else if (c.Field is not null && cli.Json.GetProperty("field").GetString() != c.Field)
                failures.Add($"{c.File}: CLI field {cli.Json.GetProperty("field")} != {c.Field}");

            // Over HTTP the content type says the format; a file-extension case has nothing to say there.
            if (ext is not (".json" or ".md"))
                continue;
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new(ext == ".md" ? "text/markdown" : "application/json");
            using var req = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = content };
            req.Headers.Add("X-Drover-Cwd", t.Scratch);
            using var resp = await http.SendAsync(req, ct);
            var text = await resp.Content.ReadAsStringAsync(ct);
            if (resp.StatusCode != HttpStatusCode.BadRequest)
            {
                failures.Add($"{c.File}: HTTP {(int)resp.StatusCode}: {text}");
                continue;
            }

            using var doc = JsonDocument.Parse(text);
            var error = doc.RootElement.GetProperty("error").GetString()!;
            if (c.Contains is not null && !error.Contains(c.Contains, StringComparison.OrdinalIgnoreCase))
                failures.Add($"{c.File}: HTTP error \"{error}\" lacks \"{c.Contains}\"");
            if (c.Field is not null && (!doc.RootElement.TryGetProperty("field", out var f) || f.GetString() != c.Field))
                failures.Add($"{c.File}: HTTP field missing or not {c.Field}: {text}");
        }

        failures.ShouldBeEmpty();
        (await SnapshotAsync(http, ct)).ShouldBe(before);
    }

    [Fact]
    public async Task Http_MalformedBodies_Get400NotServerErrors()
    {
        using var t = new TestHome();
        await using var serve = t.Cli.Start("serve", "--port", "0", "--slots", "0");
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        using var http = t.Http(url);
        var ct = TestContext.Current.CancellationToken;
        foreach (var body in new[] { "", "[]", "null", "{", "{\"engine\": ", "\"just a string\"", "{\"answer\": 5}" })
        {
            using var resp = await http.PostAsync(new Uri("/api/jobs", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"), ct);
            resp.StatusCode.ShouldBe(HttpStatusCode.BadRequest, body);
        }

        using (var r = await http.PostAsync(new Uri("/api/jobs/1/answer", UriKind.Relative), new StringContent("{\"answer\": 5}", Encoding.UTF8, "application/json"), ct))
            r.StatusCode.ShouldBeOneOf(HttpStatusCode.BadRequest, HttpStatusCode.NotFound);
        using (var r = await http.GetAsync(new Uri("/api/jobs?limit=abc", UriKind.Relative), ct))
            r.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        using (var r = await http.GetAsync(new Uri("/api/jobs?state=exploded", UriKind.Relative), ct))
            r.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        using (var r = await http.GetAsync(new Uri("/api/jobs/12345", UriKind.Relative), ct))
            r.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    /// <summary>Jobs and events as the API reports them: nothing may change on a rejected submit.</summary>
    private static async Task<string> SnapshotAsync(HttpClient http, CancellationToken ct) =>
        await http.GetStringAsync(new Uri("/api/jobs?limit=500", UriKind.Relative), ct) +
        await http.GetStringAsync(new Uri("/api/events?since=0&limit=10000", UriKind.Relative), ct);
}
