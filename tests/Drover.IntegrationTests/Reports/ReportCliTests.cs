using Drover.Core.Storage;
using Drover.Storage.Sqlite;

namespace Drover.IntegrationTests.Reports;

/// <summary>drover report against a home whose store holds a worker registered two days ago and live since.</summary>
public sealed class ReportCliTests
{
    private static async Task SeedAsync(TestHome t)
    {
        var now = DateTimeOffset.UtcNow;
        await using var store = new SqliteJobStore(new SqliteStoreOptions { Path = Path.Combine(t.Home, "drover.db") });
        await store.MigrateAsync(TestContext.Current.CancellationToken);
        await store.WorkerRegisterAsync(new WorkerRegisterParams("w1", "box", 1, 2, [], now.AddDays(-2)), TestContext.Current.CancellationToken);
        await store.WorkerHeartbeatAsync(new WorkerHeartbeatParams("w1", now, "idle", []), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Report_FormatJsonAndMd_SameNumbers_FirstDayMeasuredFromItsFirstRecord()
    {
        using var t = new TestHome();
        await SeedAsync(t);

        var json = await t.Cli.RunAsync("report", "--days", "3", "--format", "json");
        var md = await t.Cli.RunAsync("report", "--days", "3", "--format", "md");
        var alias = await t.Cli.RunAsync("report", "--days", "3", "--json");

        json.ExitCode.ShouldBe(0, json.ToString());
        var r = json.Json;
        r.GetProperty("days_requested").GetInt32().ShouldBe(3);
        r.GetProperty("targets").GetProperty("uptime").GetDouble().ShouldBe(0.95);
        var days = r.GetProperty("days").EnumerateArray().ToList();
        days.Count.ShouldBe(3);
        days[0].GetProperty("covered").GetBoolean().ShouldBeTrue("history began during that day: measured from then");
        days[0].GetProperty("covered_s").GetDouble().ShouldBeLessThan(86400);
        days[1].GetProperty("uptime").GetDouble().ShouldBe(1.0);
        days[1].GetProperty("at_target").GetBoolean().ShouldBeTrue();
        r.GetProperty("overall").GetProperty("days_counted").GetInt32().ShouldBe(3);
        r.GetProperty("overall").GetProperty("mttr_s").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
        var worker = r.GetProperty("workers").EnumerateArray().Single();
        worker.GetProperty("name").GetString().ShouldBe("w1");
        worker.GetProperty("host").GetString().ShouldBe("box");
        var gate = r.GetProperty("gate");
        gate.GetProperty("ready").GetBoolean().ShouldBeFalse();
        var line = gate.GetProperty("line").GetString()!;
        line.ShouldStartWith("Next phase: NOT READY (3 of 30 days covered, history starts ");

        md.ExitCode.ShouldBe(0, md.ToString());
        md.Stdout.ShouldContain("| date | uptime | capacity | at target | succeeded | failed | cancelled | losses | MTTR | spend |");
        md.Stdout.ShouldContain($"| {days[1].GetProperty("date").GetString()} | 100% | 0% | yes | 0 | 0 | 0 | 0 | - | $0.00 |");
        md.Stdout.ShouldContain("| w1 | box | 100% |");
        md.Stdout.ShouldContain(line);
        alias.Json.GetProperty("gate").GetProperty("line").GetString().ShouldBe(line);
    }

    [Fact]
    public async Task Report_BadDaysOrFormat_ExitsBadInput()
    {
        using var t = new TestHome();

        var days = await t.Cli.RunAsync("report", "--days", "0");
        var format = await t.Cli.RunAsync("report", "--format", "html");

        days.ExitCode.ShouldBe(2, days.ToString());
        days.Stderr.ShouldContain("--days must be between 1 and 366");
        format.ExitCode.ShouldBe(2, format.ToString());
        format.Stderr.ShouldContain("--format must be md or json");
    }

    [Fact]
    public async Task Report_ThroughTheServer_SameShape_BadDaysIs400()
    {
        using var t = new TestHome();
        await SeedAsync(t);
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "0"]);
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        using var http = t.Http(url);

        var viaCli = await t.Cli.RunAsync("report", "--days", "3", "--json", "--url", url);
        using var bad = await http.GetAsync(new Uri("/api/report?days=0", UriKind.Relative), TestContext.Current.CancellationToken);
        using var notNumber = await http.GetAsync(new Uri("/api/report?days=soon", UriKind.Relative), TestContext.Current.CancellationToken);
        using var fallback = await http.GetAsync(new Uri("/api/report", UriKind.Relative), TestContext.Current.CancellationToken);

        viaCli.ExitCode.ShouldBe(0, viaCli.ToString());
        viaCli.Json.GetProperty("workers")[0].GetProperty("name").GetString().ShouldBe("w1");
        ((int)bad.StatusCode).ShouldBe(400);
        (await bad.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldContain("\"field\":\"days\"");
        ((int)notNumber.StatusCode).ShouldBe(400);
        var body = System.Text.Json.JsonDocument.Parse(await fallback.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        body.GetProperty("days_requested").GetInt32().ShouldBe(30, "[report] days by default");
    }
}
