namespace Drover.Core.Tests.Specs;

public sealed class JobSpecParserMarkdownTests : SpecTestBase
{
    [Fact]
    public void ParseMarkdown_FrontMatterIsSpec_BodyIsPrompt()
    {
        var spec = Md("""
            ---
            engine: codex
            priority: high
            timeout: 1h30m
            stall-timeout: 600
            after: [12, build-x]
            labels: {team: core}
            retry:
              max_attempts: 5
            ---

            # Add the widget

            Details here.
            """);
        spec.Engine.ShouldBe("codex");
        spec.Priority.ShouldBe(75);
        spec.Timeout.ShouldBe(TimeSpan.FromMinutes(90));
        spec.StallTimeout.ShouldBe(TimeSpan.FromMinutes(10));
        spec.After.ShouldBe(["12", "build-x"]);
        spec.Labels["team"].ShouldBe("core");
        spec.Retry.MaxAttempts.ShouldBe(5);
        spec.Prompt.ShouldBe("# Add the widget\n\nDetails here.");
        spec.Title.ShouldBe("Add the widget");
    }

    [Fact]
    public void ParseMarkdown_CrlfLineEndings_AreAccepted()
    {
        var spec = Md("---\r\nengine: codex\r\n---\r\nDo it\r\n");
        spec.Engine.ShouldBe("codex");
        spec.Prompt.ShouldBe("Do it");
    }

    [Fact]
    public void ParseMarkdown_NoFrontMatter_WholeTextIsPromptAndEngineComesFromProfile()
    {
        Ctx = Ctx with { Profiles = new Dictionary<string, JsonObject> { ["default"] = new() { ["engine"] = "gemini" } } };
        var spec = Md("Just do the thing.\n---\nnot front matter\n");
        spec.Engine.ShouldBe("gemini");
        spec.Prompt.ShouldBe("Just do the thing.\n---\nnot front matter");
    }

    [Fact]
    public void ParseMarkdown_NoFrontMatterNoProfile_NeedsAnEngine() =>
        Should.Throw<JobSpecException>(() => Md("Just do it")).Field.ShouldBe("engine");

    [Fact]
    public void ParseMarkdown_QuotedScalarsStayStrings()
    {
        var e = Should.Throw<JobSpecException>(() => Md("---\nengine: claude\nretry: {max_attempts: '3'}\n---\np"));
        e.Field.ShouldBe("retry.max_attempts");
        Md("---\nengine: claude\ntitle: '123'\n---\np").Title.ShouldBe("123");
    }

    [Fact]
    public void ParseMarkdown_PromptInBothPlaces_IsRejected() =>
        Should.Throw<JobSpecException>(() => Md("---\nengine: claude\nprompt: a\n---\nb")).Field.ShouldBe("prompt");

    [Fact]
    public void ParseMarkdown_PromptInFrontMatterOnly_IsUsed() =>
        Md("---\nengine: claude\nprompt: from yaml\n---\n").Prompt.ShouldBe("from yaml");

    [Fact]
    public void ParseMarkdown_ShellWithBlockCommand_KeepsNewlines()
    {
        var spec = Md("---\ncommand: |\n  make\n  make test\n---\n");
        spec.Engine.ShouldBe("shell");
        spec.CommandLine.ShouldBe("make\nmake test\n");
    }

    [Theory]
    [InlineData("---\nengine: [claude\n---\np", "invalid YAML at line 3")]
    [InlineData("---\nengine: claude\np", "no closing ---")]
    [InlineData("---\nbase: &a x\nmodel: *a\n---\np", "aliases are not supported")]
    [InlineData("---\n- engine\n---\np", "expected a mapping")]
    [InlineData("---\nengine: !!binary aGk=\n---\np", "unsupported YAML tag")]
    [InlineData("---\n? [a]\n: b\n---\np", "mapping keys must be plain strings")]
    public void ParseMarkdown_BadFrontMatter_IsRejected(string md, string contains)
    {
        var e = Should.Throw<JobSpecException>(() => Md(md));
        e.Message.ShouldContain(contains);
    }

    [Fact]
    public void ParseMarkdown_DuplicateYamlKey_IsRejected() =>
        Should.Throw<JobSpecException>(() => Md("---\nengine: a\nengine: b\n---\np")).Message.ShouldContain("duplicate key");

    [Fact]
    public void ParseMarkdown_UnknownKey_IsNamed() =>
        Should.Throw<JobSpecException>(() => Md("---\nengine: claude\ntmeout: 5m\n---\np")).Field.ShouldBe("tmeout");
}
