using System.Text;
using System.Text.Json;

namespace Drover.IntegrationTests.Proposals;

/// <summary>
/// A real serve: shell jobs that print DROVER_PROPOSE lines, the proposals they make, and a person deciding them through
/// the CLI and the API (SPEC §12).
/// </summary>
public sealed class ProposalServeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Serve_ScoutsPrintProposals_OneJobPerKey_AcceptRuns_RejectRemembered_CapHonoured_FailedProposesNothing_MalformedReported()
    {
        using var t = new TestHome();
        File.WriteAllText(Path.Combine(t.Home, "drover.toml"), """
            [proposals]
            max_per_day = 3
            remember = "30d"
            """);
        var done = Path.Combine(t.Scratch, "done.txt");
        var fix = $$"""{"title":"proposed fix","prompt":"fix it","command":"echo fixed > {{done}}"}""";
        await using var serve = t.Cli.Start("serve", "--port", "0", "--slots", "2");
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        using var http = t.Http(url);

        // 1. Two identical proposals, a malformed line and an invalid spec: one proposal, the scout still succeeds.
        var scout1 = await RunScoutAsync(t, "scout1", fix, fix, "{not json", """{"title":"bad","prompt":"x","engine":"no such engine!"}""");
        var waiting = await ProposalsAsync(t);
        var proposal = waiting.ShouldHaveSingleItem();
        proposal.GetProperty("title").GetString().ShouldBe("proposed fix");
        proposal.GetProperty("proposed_by").GetInt64().ShouldBe(scout1);
        proposal.GetProperty("key").GetString()!.ShouldStartWith("proposal:");
        var id = proposal.GetProperty("id").GetInt64();
        (await t.WaitForJobAsync(id, j => true, TimeSpan.FromSeconds(5))).GetProperty("state").GetString().ShouldBe("blocked");
        File.ReadAllText(Path.Combine(t.Home, "runs", scout1.ToString(), "1", "log")).ShouldContain("malformed DROVER_PROPOSE");
        var scout1Events = await EventsAsync(http, scout1);
        scout1Events.ShouldContain(e => e.Type == "proposal.invalid" && e.Data.Contains("engine", StringComparison.Ordinal));
        File.Exists(done).ShouldBeFalse("a proposal does not run before a person accepts it");

        // 2. Accepted through the CLI: it runs and succeeds.
        var accept = await t.Cli.RunAsync("proposals", "accept", id.ToString(), "--json");
        accept.ExitCode.ShouldBe(0, accept.ToString());
        await t.WaitForJobAsync(id, j => j.GetProperty("state").GetString() == "succeeded", TimeSpan.FromSeconds(60));
        File.ReadAllText(done).Trim().ShouldBe("fixed");

        // 3. The same proposal from a later run makes no second job; a keyed one is rejected through the API ...
        var other = """{"title":"proposed other","prompt":"other","command":"true","key":"scout:other"}""";
        var scout2 = await RunScoutAsync(t, "scout2", fix, other);
        var second = (await ProposalsAsync(t)).ShouldHaveSingleItem();
        second.GetProperty("key").GetString().ShouldBe("scout:other");
        (await EventsAsync(http, scout2)).ShouldContain(e => e.Type == "proposal.dropped" && e.Data.Contains("already proposed", StringComparison.Ordinal));
        var otherId = second.GetProperty("id").GetInt64();
        using var body = new StringContent("""{"reason":"not worth it"}""", Encoding.UTF8, "application/json");
        using var rejected = await http.PostAsync($"api/proposals/{otherId}/reject", body, Ct);
        rejected.IsSuccessStatusCode.ShouldBeTrue(await rejected.Content.ReadAsStringAsync(Ct));
        var otherJob = await t.WaitForJobAsync(otherId, j => true, TimeSpan.FromSeconds(5));
        otherJob.GetProperty("state").GetString().ShouldBe("cancelled");
        otherJob.GetProperty("reason").GetString().ShouldBe("proposal rejected: not worth it");

        // ... and is not proposed again while it is remembered.
        var scout3 = await RunScoutAsync(t, "scout3", other);
        (await ProposalsAsync(t)).ShouldBeEmpty();
        (await EventsAsync(http, scout3)).ShouldContain(e => e.Type == "proposal.dropped" && e.Data.Contains("rejected", StringComparison.Ordinal));

        // 4. The day's cap (3): two were taken today, so of two new proposals one is dropped.
        var scout4 = await RunScoutAsync(
            t, "scout4", """{"title":"proposed c1","prompt":"c1","command":"true"}""", """{"title":"proposed c2","prompt":"c2","command":"true"}""");
        (await ProposalsAsync(t)).ShouldHaveSingleItem().GetProperty("title").GetString().ShouldBe("proposed c1");
        (await EventsAsync(http, scout4)).ShouldContain(e => e.Type == "proposal.dropped" && e.Data.Contains("max_per_day", StringComparison.Ordinal));

        // 5. A scout whose attempt fails proposes nothing.
        var failing = Path.Combine(t.Scratch, "failing.sh");
        await File.WriteAllTextAsync(failing, "echo 'DROVER_PROPOSE {\"title\":\"proposed by a failure\",\"prompt\":\"p\",\"command\":\"true\",\"key\":\"f\"}'\nexit 3\n", Ct);
        var failed = await t.Cli.RunInAsync(t.Scratch, "submit", "failing scout", "--engine", "shell", "--command", "sh " + failing, "--max-attempts", "1", "--json");
        failed.ExitCode.ShouldBe(0, failed.ToString());
        var failedId = failed.Json.GetProperty("id").GetInt64();
        await t.WaitForJobAsync(failedId, j => j.GetProperty("state").GetString() == "failed", TimeSpan.FromSeconds(60));
        (await ProposalsAsync(t)).ShouldHaveSingleItem().GetProperty("title").GetString().ShouldBe("proposed c1");
        (await EventsAsync(http, failedId)).ShouldNotContain(e => e.Type.StartsWith("proposal.", StringComparison.Ordinal));

        // 6. An id that is not a waiting proposal is bad input.
        var notProposal = await t.Cli.RunAsync("proposals", "accept", scout4.ToString());
        notProposal.ExitCode.ShouldBe(2, notProposal.ToString());
        notProposal.Stderr.ShouldContain("not a waiting proposal");
        var decidedAgain = await t.Cli.RunAsync("proposals", "reject", otherId.ToString(), "--reason", "again");
        decidedAgain.ExitCode.ShouldBe(2, decidedAgain.ToString());
        var missing = await t.Cli.RunAsync("proposals", "reject", "999999");
        missing.ExitCode.ShouldBe(2, missing.ToString());
        var table = await t.Cli.RunAsync("proposals");
        table.ExitCode.ShouldBe(0, table.ToString());
        table.Stdout.ShouldContain("proposed c1");
        table.Stdout.ShouldContain($"job {scout4}");
    }

    /// <summary>Submits a shell job printing <paramref name="proposals"/> as DROVER_PROPOSE lines; waits for its success.</summary>
    private static async Task<long> RunScoutAsync(TestHome t, string name, params string[] proposals)
    {
        var script = Path.Combine(t.Scratch, name + ".sh");
        var lines = new StringBuilder("echo looking around\n");
        foreach (var p in proposals)
            lines.Append("cat <<'EOF'\nDROVER_PROPOSE ").Append(p).Append("\nEOF\n");
        await File.WriteAllTextAsync(script, lines.ToString(), Ct);
        var submit = await t.Cli.RunInAsync(t.Scratch, "submit", name, "--engine", "shell", "--command", "sh " + script, "--json");
        submit.ExitCode.ShouldBe(0, submit.ToString());
        var id = submit.Json.GetProperty("id").GetInt64();
        await t.WaitForJobAsync(id, j => j.GetProperty("state").GetString() == "succeeded", TimeSpan.FromSeconds(60));
        return id;
    }

    private static async Task<List<JsonElement>> ProposalsAsync(TestHome t)
    {
        var r = await t.Cli.RunAsync("proposals", "--json");
        r.ExitCode.ShouldBe(0, r.ToString());
        return [.. r.Json.GetProperty("proposals").EnumerateArray()];
    }

    private static async Task<List<(string Type, string Data)>> EventsAsync(HttpClient http, long job)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync($"api/events?job={job}", Ct));
        return [.. doc.RootElement.GetProperty("events").EnumerateArray().Select(e => (e.GetProperty("type").GetString()!, e.GetProperty("data").GetRawText()))];
    }
}
