namespace Drover.IntegrationTests;

public sealed class ListFilterTests
{
    [Fact]
    public async Task Ls_EngineAndTextFilters_ListOnlyMatchingJobs()
    {
        using var t = new TestHome();
        var wanted = await t.Cli.RunInAsync(t.Scratch, "submit", "Refresh the Nightly report", "--command", "true", "--json");
        await t.Cli.RunInAsync(t.Scratch, "submit", "something else", "--command", "true", "--json");
        var id = wanted.Json.GetProperty("id").GetInt64();

        var byText = await t.Cli.RunAsync("ls", "--text", "nightly", "--json");
        var byEngine = await t.Cli.RunAsync("ls", "--engine", "claude", "--json");
        var both = await t.Cli.RunAsync("ls", "--engine", "shell", "--text", "NIGHTLY REPORT", "--json");

        byText.ExitCode.ShouldBe(0, byText.ToString());
        byText.Json.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetInt64()).ShouldBe([id]);
        byEngine.Json.GetProperty("jobs").GetArrayLength().ShouldBe(0);
        both.Json.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetInt64()).ShouldBe([id]);
    }
}
