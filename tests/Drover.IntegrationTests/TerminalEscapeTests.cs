using System.Globalization;

namespace Drover.IntegrationTests;

/// <summary>A job's output cannot drive the operator's terminal: control characters and bidi overrides print as escapes.</summary>
public sealed class TerminalEscapeTests
{
    // Retitles the terminal window, clears the screen, and reverses the text after it.
    private const string Command = """
        printf 'title \033]0;pwned\007\033[2J done\n'
        printf 'bidi \342\200\256evil\n'
        printf 'err \033[31mred\302\233\n' >&2
        exit 1
        """;

    [Fact]
    public async Task LogsAndShow_JobPrintsEscapeSequences_ShowThemEscaped()
    {
        using var t = new TestHome();
        var run = await t.Cli.RunInAsync(t.Scratch, "submit", "--command", Command, "--max-attempts", "1", "--wait", "--json");
        run.ExitCode.ShouldBe(1, run.ToString());
        run.Stdout.ShouldNotContain('\u001b'); // --json escapes them itself
        var id = run.Json.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture);

        var logs = await t.Cli.RunAsync("logs", id);
        var show = await t.Cli.RunAsync("show", id);

        logs.ExitCode.ShouldBe(0, logs.ToString());
        show.ExitCode.ShouldBe(0, show.ToString());
        foreach (var (what, text) in new[] { ("logs", logs.Stdout), ("show", show.Stdout) })
        {
            text.ShouldNotContain('\u001b', what);
            text.ShouldNotContain('\u0007', what);
            text.ShouldNotContain('\u009b', what);
            text.ShouldNotContain('\u202e', what);
        }

        logs.Stdout.ShouldContain(@"title \x1b]0;pwned\x07\x1b[2J done" + "\n");
        logs.Stdout.ShouldContain(@"bidi \u202eevil" + "\n");
        show.Stdout.ShouldContain(@"err \x1b[31mred\x9b"); // the reason: stderr's last line
        show.Stdout.ShouldContain(@"bidi \u202eevil"); // the summary
    }
}
