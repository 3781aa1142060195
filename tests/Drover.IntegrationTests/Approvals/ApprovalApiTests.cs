using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Drover.IntegrationTests.Approvals;

/// <summary>
/// Drover's approval endpoint (<c>/v1/approvals/mcp</c>) and <c>/api/approvals</c> without an agent CLI: a shell job
/// asks about its own tool calls with its attempt key, as claude's permission prompt tool does.
/// </summary>
public sealed class ApprovalApiTests : IAsyncLifetime
{
    private readonly TestHome _t = new();
    private BackgroundProcess? _serve;
    private string _url = "";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A shell line that asks Drover about one tool call and prints the answer.</summary>
    private static string Ask(string tool, string input) =>
        "curl -s -H \"Authorization: Bearer $DROVER_GATEWAY_KEY\" -H 'Content-Type: application/json' --data " +
        $"'{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{{\"name\":\"approve\",\"arguments\":{{\"tool_name\":\"{tool}\",\"input\":{input}}}}}}}' " +
        "\"$DROVER_GATEWAY_URL/approvals/mcp\"; echo";

    public async ValueTask InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_t.Home, "drover.toml"), """
            [gateway]
            enabled = true

            [approvals]
            rules = ["deny WebFetch"]

            [[providers]]
            name = "nowhere"
            base_url = "http://127.0.0.1:9/v1"
            models = ["m"]
            health_check = false
            """, Ct);
        _serve = _t.Cli.Start(["serve", "--port", "0", "--slots", "1"]);
        _url = (await _t.WaitForServerAsync(_serve, TimeSpan.FromSeconds(60))).TrimEnd('/');
    }

    [Fact]
    public async Task McpAsk_DecidedThroughTheApi_RulesDecideTheRestWithoutAsking()
    {
        var spec = Path.Combine(_t.Scratch, "job.json");
        await File.WriteAllTextAsync(spec, """{"approvals": ["ask Bash(git push*)"]}""", Ct);
        var command = string.Join("; ", Ask("WebFetch", """{"url":"https://example.com"}"""), Ask("Bash", """{"command":"git status"}"""),
            Ask("Bash", """{"command":"git push origin main"}"""));
        var submit = await _t.Cli.RunInAsync(_t.Scratch, ["submit", "asks", "--command", command, "--file", spec, "--json"]);
        submit.ExitCode.ShouldBe(0, submit.ToString());
        var id = submit.Json.GetProperty("id").GetInt64();
        using var http = _t.Http(_url);

        var pending = await PendingAsync(http, id);
        using var anonymous = _t.Http(_url, withToken: false);
        using var noKey = await anonymous.PostAsync(new Uri("/v1/approvals/mcp", UriKind.Relative), Json("{}"), Ct);
        using var apiToken = await http.PostAsync(new Uri("/v1/approvals/mcp", UriKind.Relative), Json("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}"""), Ct);
        using var bad = await http.PostAsync(new Uri($"/api/approvals/{pending.Id}", UriKind.Relative), Json("""{"decision":"maybe"}"""), Ct);
        using var decided = await http.PostAsync(new Uri($"/api/approvals/{pending.Id}", UriKind.Relative), Json("""{"decision":"allow","by":"alice"}"""), Ct);
        var decidedBody = await decided.Content.ReadAsStringAsync(Ct);
        var job = await _t.WaitForJobAsync(id, j => j.GetProperty("state").GetString() is "succeeded" or "failed", TimeSpan.FromSeconds(60));
        using var twice = await http.PostAsync(new Uri($"/api/approvals/{pending.Id}", UriKind.Relative), Json("""{"decision":"deny"}"""), Ct);

        pending.Pattern.ShouldBe("Bash(git push origin main)");
        noKey.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        apiToken.StatusCode.ShouldBe(HttpStatusCode.Forbidden, "the approval tool answers a running attempt's own key only");
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        decided.StatusCode.ShouldBe(HttpStatusCode.OK, decidedBody);
        JsonDocument.Parse(decidedBody).RootElement.GetProperty("decided_by").GetString().ShouldBe("alice");
        twice.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        job.GetProperty("state").GetString().ShouldBe("succeeded", job.ToString());
        var log = (await _t.Cli.RunAsync("logs", id.ToString(CultureInfo.InvariantCulture))).Stdout;
        var answers = log.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(Decision).ToList();
        answers.Count.ShouldBe(3, log);
        answers[0].GetProperty("behavior").GetString().ShouldBe("deny");
        answers[0].GetProperty("message").GetString()!.ShouldContain("rule \"deny WebFetch\"");
        answers[1].GetProperty("behavior").GetString().ShouldBe("allow");
        answers[2].GetProperty("behavior").GetString().ShouldBe("allow");
        answers[2].GetProperty("updatedInput").GetProperty("command").GetString().ShouldBe("git push origin main");
        var all = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/approvals?job={id}&all=1", UriKind.Relative), Ct)).RootElement.GetProperty("approvals");
        all.GetArrayLength().ShouldBe(1, "only the ask reached a person");
        var types = job.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
        types.ShouldContain("approval.requested");
        types.ShouldContain("approval.decided");
        var alert = await AlertAsync(http, $"approval_pending:{pending.Id}");
        alert.GetProperty("message").GetString()!.ShouldContain($"tool call {pending.Id} Bash(git push origin main)");
        alert.GetProperty("acked_by").GetString().ShouldBe("resolved: allow by alice");
    }

    /// <summary>The alert with this key once the monitor has raised and closed it.</summary>
    private static async Task<JsonElement> AlertAsync(HttpClient http, string key)
    {
        JsonElement last = default;
        for (var i = 0; i < 100; i++)
        {
            var alerts = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/alerts?all=1", UriKind.Relative), Ct)).RootElement.GetProperty("alerts");
            last = alerts.EnumerateArray().FirstOrDefault(a => a.GetProperty("key").GetString() == key);
            if (last.ValueKind == JsonValueKind.Object && last.GetProperty("acked_by").ValueKind == JsonValueKind.String)
                return last;
            await Task.Delay(200, Ct);
        }

        throw new TimeoutException($"alert {key} was not raised and resolved; last: {last}");
    }

    [Fact]
    public async Task Submit_ApprovalFlag_StoredInCompactForm_BadRuleIsExit2NamingIt()
    {
        var ok = await _t.Cli.RunInAsync(_t.Scratch, ["submit", "x", "--command", "true", "--approval", "ask Bash(git push*)", "--approval", "deny WebFetch", "--json"]);
        var bad = await _t.Cli.RunInAsync(_t.Scratch, ["submit", "x", "--command", "true", "--approval", "sometimes Bash"]);
        var unknown = await _t.Cli.RunAsync("approve-tool", "12345", "allow");
        var notADecision = await _t.Cli.RunAsync("approve-tool", "1", "perhaps");

        ok.ExitCode.ShouldBe(0, ok.ToString());
        ok.Json.GetProperty("spec").GetProperty("approvals").EnumerateArray().Select(a => a.GetString()).ShouldBe(["ask Bash(git push*)", "deny WebFetch"]);
        bad.ExitCode.ShouldBe(2, bad.ToString());
        bad.Stderr.ShouldContain("approvals: action \"sometimes\" is not one of allow, ask, deny");
        unknown.ExitCode.ShouldBe(3, unknown.ToString());
        unknown.Stderr.ShouldContain("tool approval 12345 not found");
        notADecision.ExitCode.ShouldBe(2, notADecision.ToString());
    }

    private async Task<(long Id, string Pattern)> PendingAsync(HttpClient http, long job)
    {
        for (var i = 0; i < 300; i++)
        {
            var list = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/approvals", UriKind.Relative), Ct)).RootElement.GetProperty("approvals");
            if (list.EnumerateArray().FirstOrDefault(a => a.GetProperty("job_id").GetInt64() == job) is { ValueKind: JsonValueKind.Object } a)
                return (a.GetProperty("id").GetInt64(), a.GetProperty("pattern").GetString()!);
            await Task.Delay(200, Ct);
        }

        throw new TimeoutException($"no tool call of job {job} waited\n{_serve?.Output}");
    }

    /// <summary>The decision inside one MCP answer: the text of its content block, itself JSON.</summary>
    private static JsonElement Decision(string dataLine)
    {
        var answer = JsonDocument.Parse(dataLine["data: ".Length..]).RootElement;
        return JsonDocument.Parse(answer.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString()!).RootElement.Clone();
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    public async ValueTask DisposeAsync()
    {
        if (_serve is not null)
            await _serve.DisposeAsync();
        _t.Dispose();
    }
}
