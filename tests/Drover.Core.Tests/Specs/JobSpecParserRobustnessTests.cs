using System.Text;

namespace Drover.Core.Tests.Specs;

/// <summary>The parser's contract: whatever the bytes, it returns a spec or throws <see cref="JobSpecException"/>, nothing else.</summary>
public sealed class JobSpecParserRobustnessTests : SpecTestBase
{
    private const string JsonText = """
        {"engine": "claude", "prompt": "Fix it", "timeout": "1h30m", "retry": {"max_attempts": 3, "on": ["crash"]},
         "labels": {"team": "core"}, "after": [1, "k"], "budget": {"usd": 2.5}, "priority": "high"}
        """;

    private const string Markdown = "---\nengine: claude\ntimeout: 1h30m\nretry: {max_attempts: 3, on: [crash]}\nlabels:\n  team: core\nafter: [1, k]\n---\n# Fix it\n";

    [Theory]
    [InlineData(JsonText, false)]
    [InlineData(Markdown, true)]
    public void Parse_EveryTruncation_OnlyThrowsJobSpecException(string text, bool markdown)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        for (var n = 0; n <= bytes.Length; n++)
            ParseOrReject(bytes[..n], markdown);
    }

    [Theory]
    [InlineData(JsonText, false)]
    [InlineData(Markdown, true)]
    public void Parse_SingleByteCorruptions_OnlyThrowJobSpecException(string text, bool markdown)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        byte[] replacements = [0x00, (byte)'"', (byte)'{', (byte)']', (byte)':', (byte)'-', (byte)'\n', (byte)'*', (byte)'&', 0xFF];
        for (var i = 0; i < bytes.Length; i++)
        {
            foreach (var r in replacements)
            {
                var copy = (byte[])bytes.Clone();
                copy[i] = r;
                ParseOrReject(copy, markdown);
            }
        }
    }

    private void ParseOrReject(byte[] bytes, bool markdown)
    {
        try
        {
            if (markdown)
                JobSpecParser.ParseMarkdown(bytes, Ctx);
            else
                JobSpecParser.ParseJson(bytes, Ctx);
        }
        catch (JobSpecException)
        {
            // The expected way to say no.
        }
        catch (Exception e)
        {
            throw new ShouldAssertException($"input {Convert.ToBase64String(bytes)} threw {e.GetType().Name}: {e.Message}", e);
        }
    }
}
