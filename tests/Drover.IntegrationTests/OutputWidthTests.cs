namespace Drover.IntegrationTests;

/// <summary>Human output piped into grep or a file keeps each row on one line; COLUMNS still rules when set.</summary>
public sealed class OutputWidthTests
{
    private const string Title = "Refresh the nightly report of every dependency in the repo";

    [Fact]
    public async Task LsAndShow_Piped_KeepEachRowOnOneLine()
    {
        using var t = new TestHome();
        t.Cli.Env["COLUMNS"] = "";
        var id = (await t.Cli.RunInAsync(t.Scratch, "submit", Title, "--command", "true", "--json")).Json.GetProperty("id").GetInt64();

        var ls = await t.Cli.RunAsync("ls");
        var show = await t.Cli.RunAsync("show", id.ToString(System.Globalization.CultureInfo.InvariantCulture));

        ls.ExitCode.ShouldBe(0, ls.ToString());
        ls.Stdout.Split('\n').ShouldContain(l => l.Contains(Title, StringComparison.Ordinal) && l.Contains("queued", StringComparison.Ordinal), ls.Stdout);
        show.ExitCode.ShouldBe(0, show.ToString());
        show.Stdout.Split('\n').ShouldContain(l => l.Contains(Title, StringComparison.Ordinal), show.Stdout);
    }

    [Fact]
    public async Task Ls_ColumnsSet_FitsThatWidth()
    {
        using var t = new TestHome();
        t.Cli.Env["COLUMNS"] = "60";
        await t.Cli.RunInAsync(t.Scratch, "submit", Title, "--command", "true", "--json");

        var ls = await t.Cli.RunAsync("ls");

        ls.ExitCode.ShouldBe(0, ls.ToString());
        ls.Stdout.Split('\n').ShouldAllBe(l => l.TrimEnd().Length <= 60, ls.Stdout);
        ls.Stdout.ShouldContain("queued");
    }
}
