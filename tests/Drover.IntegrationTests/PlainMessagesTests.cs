namespace Drover.IntegrationTests;

/// <summary>Bad input is answered in the user's terms: no .NET type names, exception texts or TimeSpan formats.</summary>
public sealed class PlainMessagesTests
{
    [Theory]
    [InlineData("show|x", "show: \"x\" is not a whole number")]
    [InlineData("worker|--slots|x", "--slots: \"x\" is not a whole number")]
    [InlineData("ls|--limit|many", "--limit: \"many\" is not a whole number")]
    [InlineData("ls|--url|foo", "url: \"foo\" is not an http(s) URL")]
    public async Task BadFlagValue_ExitsTwoWithAPlainMessage(string args, string expected)
    {
        using var t = new TestHome();

        var r = await t.Cli.RunAsync(args.Split('|'));

        r.ExitCode.ShouldBe(2, r.ToString());
        r.Stderr.ShouldContain(expected, Case.Sensitive, r.ToString());
        r.Stderr.ShouldNotContain("System.");
        r.Stderr.ShouldNotContain("Nullable");
        r.Stderr.ShouldNotContain("Invalid URI");
    }

    [Fact]
    public async Task Submit_DurationFlagAsBareSeconds_IsAccepted()
    {
        using var t = new TestHome();

        var r = await t.Cli.RunInAsync(t.Scratch, "submit", "t", "--command", "true", "--timeout", "90", "--json");

        r.ExitCode.ShouldBe(0, r.ToString());
        r.Json.GetProperty("spec").GetProperty("timeout").GetDouble().ShouldBe(90);
    }
}
