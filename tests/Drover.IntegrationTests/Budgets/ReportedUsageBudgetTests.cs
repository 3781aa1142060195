using System.Globalization;
using System.Text.Json;
using Drover.IntegrationTests.Gateway;

namespace Drover.IntegrationTests.Budgets;

/// <summary>
/// Budgets hold for an engine that never calls the gateway: a shell job of a real <c>drover serve</c> reporting its
/// own spend with DROVER_USAGE lines is stopped by its job budget, and its spend counts toward <c>[budgets]</c>.
/// </summary>
public sealed class ReportedUsageBudgetTests : IAsyncLifetime
{
    /// <summary>A cent per line, ten lines a second, for up to 10 s; count.txt says how many lines it got out.</summary>
    private const string CentPerLine =
        "i=0; while [ $i -lt 100 ]; do i=$((i+1)); echo $i > count.txt; " +
        "echo 'DROVER_USAGE {\"input_tokens\":100,\"output_tokens\":10,\"cost_usd\":0.01,\"model\":\"m\"}'; sleep 0.1; done";

    private readonly TestHome _t = new();
    private BackgroundProcess? _serve;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    private async Task ServeAsync(string config = "")
    {
        await File.WriteAllTextAsync(Path.Combine(_t.Home, "drover.toml"), config, TestContext.Current.CancellationToken);
        _serve = _t.Cli.Start(["serve", "--port", "0", "--slots", "1"]);
        await _t.WaitForServerAsync(_serve, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task ReportedUsage_CrossesTheJobBudget_KillsTheAttemptBudgetExhaustedNotRetried()
    {
        await ServeAsync();

        var job = await RunAsync(new { title = "spender", engine = "shell", command = CentPerLine, budget = new { usd = 0.05 }, retry = new { max_attempts = 3 } });

        job.GetProperty("state").GetString().ShouldBe("failed", job.ToString());
        job.GetProperty("class").GetString().ShouldBe("budget_exhausted");
        job.GetProperty("reason").GetString().ShouldNotBeNull().ShouldContain("$0.05");
        job.GetProperty("attempts").GetArrayLength().ShouldBe(1, "a budget used up is not retried");
        var lines = int.Parse(File.ReadAllText(Path.Combine(_t.Scratch, "count.txt")).Trim(), CultureInfo.InvariantCulture);
        lines.ShouldBeInRange(6, 12, "the sixth cent crosses $0.05; the group is killed within a few lines of it");
        job.GetProperty("usage").GetProperty("cost_usd").GetDecimal().ShouldBeInRange(0.06m, 0.12m);
    }

    [Fact]
    public async Task ReportedUsage_CountsOnceTowardTheDailyBudget_TheNextJobsStopAndWaitForTomorrowUncounted()
    {
        await ServeAsync("""
            [budgets]
            daily_usd = 0.05
            """);

        // 4 cents, under the day's 5: succeeds, and the day has 4 cents spent.
        var first = await RunAsync(new { title = "first", engine = "shell", command = "for i in 1 2 3 4; do echo 'DROVER_USAGE {\"input_tokens\":100,\"output_tokens\":10,\"cost_usd\":0.01}'; done" });
        first.GetProperty("state").GetString().ShouldBe("succeeded", first.ToString());
        (await DaySpentAsync()).ShouldBe(0.04m, "the attempt's reported cost, booked once");

        // The second job's second cent crosses the day's budget: stopped, and it waits for the day to renew. The
        // job did nothing wrong, so no failure is counted and the queue is not drained into failures.
        var tomorrow = DateTime.UtcNow.Date.AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var second = await RunAsync(new { title = "second", engine = "shell", command = CentPerLine }, WaitsForTomorrow);
        second.GetProperty("failures").GetInt32().ShouldBe(0, second.ToString());
        second.GetProperty("reason").GetString().ShouldNotBeNull().ShouldStartWith("budget day:");
        (await DaySpentAsync()).ShouldBeGreaterThan(0.05m);
        var lines = int.Parse(File.ReadAllText(Path.Combine(_t.Scratch, "count.txt")).Trim(), CultureInfo.InvariantCulture);
        lines.ShouldBeLessThan(10, "the engine was stopped, not left to finish");

        // The day is spent: the next job is stopped before its engine starts, and waits too.
        File.Delete(Path.Combine(_t.Scratch, "count.txt"));
        var third = await RunAsync(new { title = "third", engine = "shell", command = CentPerLine }, WaitsForTomorrow);
        third.GetProperty("failures").GetInt32().ShouldBe(0, third.ToString());
        File.Exists(Path.Combine(_t.Scratch, "count.txt")).ShouldBeFalse("the engine never ran");
        var shown = await _t.Cli.RunAsync("show", third.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture), "--json");
        shown.Json.GetProperty("why").GetString().ShouldNotBeNull().ShouldContain(tomorrow, Case.Sensitive, shown.Stdout);
    }

    private static bool WaitsForTomorrow(JsonElement j) =>
        j.GetProperty("state").GetString() == "queued" && j.GetProperty("attempt").GetInt32() >= 1
        && j.GetProperty("class").GetString() == "budget_exhausted";

    [Fact]
    public async Task ReportedUsage_OfAnAttemptThatCalledTheGateway_IsNotCountedAgain()
    {
        await using var provider = await FakeUpstream.StartAsync("a");
        await ServeAsync($$"""
            [gateway]
            enabled = true

            [[providers]]
            name = "a"
            base_url = "{{provider.BaseUrl}}"
            models = ["model-a"]
            price = { input = 2.0, cached_input = 0.5, output = 8.0 }

            [budgets]
            daily_usd = 5.0
            """);
        const string report = "echo 'DROVER_USAGE {\"input_tokens\":1200,\"output_tokens\":30,\"cost_usd\":0.5}'";
        var call = "curl -sf -H \"Authorization: Bearer $DROVER_GATEWAY_KEY\" -H 'content-type: application/json' " +
            "-d '{\"model\":\"model-a\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}' \"$DROVER_GATEWAY_URL/chat/completions\" > /dev/null";
        var gatewayCost = ((200 * 2m) + (1000 * 0.5m) + (30 * 8m)) / 1_000_000m;

        // The call through the gateway is booked by the gateway; the same call reported again (at another price) is not added.
        var viaGateway = await RunAsync(new { title = "via gateway", engine = "shell", command = call + " && " + report });
        viaGateway.GetProperty("state").GetString().ShouldBe("succeeded", viaGateway.ToString());
        provider.Calls.ShouldBe(1);
        (await DaySpentAsync()).ShouldBe(gatewayCost);

        // An attempt that made no gateway call is counted by what it reported.
        var direct = await RunAsync(new { title = "direct", engine = "shell", command = report });
        direct.GetProperty("state").GetString().ShouldBe("succeeded", direct.ToString());
        (await DaySpentAsync()).ShouldBe(gatewayCost + 0.5m);
    }

    /// <summary>Submits <paramref name="spec"/> as a job file in the scratch dir and waits for it to end.</summary>
    private async Task<JsonElement> RunAsync(object spec, Func<JsonElement, bool>? until = null)
    {
        var file = Path.Combine(_t.Root, Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(spec), TestContext.Current.CancellationToken);
        var r = await _t.Cli.RunInAsync(_t.Scratch, "submit", "--file", file, "--json");
        r.ExitCode.ShouldBe(0, r.ToString());
        var id = r.Json.GetProperty("id").GetInt64();
        return await _t.WaitForJobAsync(id, until ?? (j => j.GetProperty("state").GetString() is "succeeded" or "failed"), TimeSpan.FromSeconds(60));
    }

    /// <summary>Today's spend against <c>daily_usd</c> as <c>status --json</c> reports it.</summary>
    private async Task<decimal> DaySpentAsync()
    {
        var status = await _t.Cli.RunAsync("status", "--json");
        status.ExitCode.ShouldBe(0, status.ToString());
        return status.Json.GetProperty("budgets").EnumerateArray().Single(b => b.GetProperty("scope").GetString() == "day").GetProperty("spent_usd").GetDecimal();
    }

    public async ValueTask DisposeAsync()
    {
        if (_serve is not null)
            await _serve.DisposeAsync();
        _t.Dispose();
    }
}
