using Drover.Core.Jobs;

namespace Drover.Core.Tests.Specs;

public sealed class JobSpecParserDefaultsTests : SpecTestBase
{
    [Fact]
    public void Parse_MinimalSpec_AppliesBuiltInDefaults()
    {
        var spec = With("{}");
        spec.Engine.ShouldBe("claude");
        spec.Title.ShouldBe("Fix the bug");
        spec.Repo.ShouldBe(Dir.Path);
        spec.Priority.ShouldBe(50);
        spec.DepsMode.ShouldBe(DepsMode.Hard);
        spec.Timeout.ShouldBe(TimeSpan.FromMinutes(60));
        spec.StallTimeout.ShouldBe(TimeSpan.FromMinutes(15));
        spec.Retry.ShouldBe(RetryPolicy.Default);
        spec.Budget.ShouldBeNull();
        spec.ScopePolicy.ShouldBe(ScopePolicy.Warn);
        spec.Review.ShouldBe(ReviewMode.Auto);
        spec.Profile.ShouldBe("default");
        spec.Labels.ShouldBeEmpty();
        spec.Env.ShouldBeEmpty();
        spec.After.ShouldBeEmpty();
        spec.Capabilities.ShouldBeEmpty();
    }

    [Fact]
    public void Parse_PlainDirectory_LocksTheRepoByDefault() =>
        With("{}").Lock.ShouldBe($"repo:{Dir.Path}");

    [Fact]
    public void Parse_GitCheckout_HasNoLockByDefault()
    {
        Dir.Sub(".git");
        var nested = Dir.Sub("pkg");
        With($$"""{"repo": "{{nested}}"}""").Lock.ShouldBeNull();
    }

    [Fact]
    public void Parse_GitWorktree_DotGitFile_HasNoLockByDefault()
    {
        Dir.File(".git", "gitdir: /elsewhere");
        With("{}").Lock.ShouldBeNull();
    }

    [Theory]
    [InlineData("none", null)]
    [InlineData("db:main", "db:main")]
    public void Parse_ExplicitLock_IsKeptOrDisabled(string given, string? expected) =>
        With($$"""{"lock": "{{given}}"}""").Lock.ShouldBe(expected);

    [Fact]
    public void Parse_RelativeRepo_ResolvesAgainstWorkingDirectory()
    {
        var sub = Dir.Sub("proj");
        With("""{"repo": "proj/"}""").Repo.ShouldBe(sub);
        With("""{"repo": "./proj"}""").Repo.ShouldBe(sub);
    }

    [Fact]
    public void Parse_CommandWithoutEngine_IsShell()
    {
        var spec = JobSpecParser.ParseObject(new JsonObject { ["command"] = "make test" }, Ctx);
        spec.Engine.ShouldBe("shell");
        spec.CommandLine.ShouldBe("make test");
        spec.Prompt.ShouldBe("");
        spec.Title.ShouldBe("make test");
    }

    [Fact]
    public void Parse_ShellArgv_IsKeptAsArgvAndTitled()
    {
        var spec = JobSpecParser.ParseObject(JsonNode.Parse("""{"engine":"shell","command":["echo","hi there"]}""")!.AsObject(), Ctx);
        spec.CommandArgv.ShouldBe(["echo", "hi there"]);
        spec.CommandLine.ShouldBeNull();
        spec.Title.ShouldBe("echo hi there");
    }

    [Fact]
    public void Parse_EngineClassOnly_LeavesEngineEmptyForWorkers()
    {
        var spec = JobSpecParser.ParseObject(JsonNode.Parse("""{"engine_class":"agentic-coder","prefers":["codex","claude"],"prompt":"p"}""")!.AsObject(), Ctx);
        spec.Engine.ShouldBe("");
        spec.EngineClass.ShouldBe("agentic-coder");
        spec.Prefers.ShouldBe(["codex", "claude"]);
    }

    [Fact]
    public void Parse_Title_DefaultsToFirstNonEmptyLineCutTo80()
    {
        var line = new string('x', 100);
        With($$"""{"prompt": "\n\n  ## {{line}}  \nmore"}""").Title.ShouldBe(new string('x', 80));
        With("""{"prompt": "\n\tFirst\tline\nsecond"}""").Title.ShouldBe("First line");
    }

    [Fact]
    public void Parse_Title_CutDoesNotSplitSurrogatePairs()
    {
        var emoji = string.Concat(Enumerable.Repeat("😀", 90));
        var title = With($$"""{"prompt": "{{emoji}}"}""").Title;
        title.ShouldBe(string.Concat(Enumerable.Repeat("😀", 80)));
    }

    [Theory]
    [InlineData("\"critical\"", 100)]
    [InlineData("\"high\"", 75)]
    [InlineData("\"medium\"", 50)]
    [InlineData("\"low\"", 25)]
    [InlineData("0", 0)]
    [InlineData("100", 100)]
    [InlineData("\"60\"", 60)]
    [InlineData("70.0", 70)]
    public void Parse_Priority_AcceptsNamesAndIntegers(string given, int expected) =>
        With($$"""{"priority": {{given}}}""").Priority.ShouldBe(expected);

    [Theory]
    [InlineData("\"90s\"", 90)]
    [InlineData("\"45m\"", 2700)]
    [InlineData("\"2h\"", 7200)]
    [InlineData("\"1d\"", 86400)]
    [InlineData("\"1h30m\"", 5400)]
    [InlineData("\"1d2h3m4s\"", 93784)]
    [InlineData("\"7d\"", 604800)]
    [InlineData("1", 1)]
    [InlineData("90", 90)]
    [InlineData("1.5", 1.5)]
    [InlineData("\"90\"", 90)]
    public void Parse_Duration_AcceptsTextAndSeconds(string given, double seconds) =>
        With($$"""{"timeout": {{given}}}""").Timeout.TotalSeconds.ShouldBe(seconds);

    [Fact]
    public void Parse_KebabAliases_AreAccepted()
    {
        var spec = With("""
            {"stall-timeout": "5m", "allowed-paths": ["src/**"], "deps-mode": "soft", "scope-policy": "enforce",
             "engine-class": "coder", "retry": {"max-attempts": 5, "max-backoff": "1h"}}
            """);
        spec.StallTimeout.ShouldBe(TimeSpan.FromMinutes(5));
        spec.AllowedPaths.ShouldBe(["src/**"]);
        spec.DepsMode.ShouldBe(DepsMode.Soft);
        spec.ScopePolicy.ShouldBe(ScopePolicy.Enforce);
        spec.EngineClass.ShouldBe("coder");
        spec.Retry.MaxAttempts.ShouldBe(5);
        spec.Retry.MaxBackoff.ShouldBe(TimeSpan.FromHours(1));
        spec.Retry.Backoff.ShouldBe(RetryPolicy.Default.Backoff);
    }

    [Fact]
    public void Parse_AllKeys_AreRead()
    {
        var spec = With("""
            {"title": "T", "model": "opus", "base": "origin/main", "priority": "high",
             "capabilities": ["os:linux", "node>=20"], "key": "build-1", "after": [7, "007", "setup", "setup"],
             "retry": {"on": ["crash", "crash", "auth"]}, "budget": {"usd": 2.5, "tokens": 2000000},
             "verify": "make test\nmake lint", "review": "human", "labels": {"team": "core", "sprint": 12},
             "tracker": "github:owner/repo#123", "env": {"PORT": 8080, "DEBUG": true}, "secrets": ["GH_TOKEN"]}
            """);
        spec.Title.ShouldBe("T");
        spec.Model.ShouldBe("opus");
        spec.Base.ShouldBe("origin/main");
        spec.Priority.ShouldBe(75);
        spec.Capabilities.ShouldBe(["os:linux", "node>=20"]);
        spec.Key.ShouldBe("build-1");
        spec.After.ShouldBe(["7", "setup"]);
        spec.Retry.On.ShouldBe([FailureClass.Crash, FailureClass.Auth]);
        spec.Budget.ShouldBe(new Budget(2.5m, 2_000_000));
        spec.Verify.ShouldBe("make test\nmake lint");
        spec.Review.ShouldBe(ReviewMode.Human);
        spec.Labels.ShouldBe(new Dictionary<string, string> { ["sprint"] = "12", ["team"] = "core" });
        spec.Tracker.ShouldBe("github:owner/repo#123");
        spec.Env.ShouldBe(new Dictionary<string, string> { ["DEBUG"] = "true", ["PORT"] = "8080" });
        spec.Secrets.ShouldBe(["GH_TOKEN"]);
    }

    [Fact]
    public void Parse_NullValue_MeansNotGiven() =>
        With("""{"timeout": null, "budget": null, "model": null}""").Timeout.ShouldBe(TimeSpan.FromMinutes(60));

    [Fact]
    public void Parse_EmptyBudget_IsNoBudget() => With("""{"budget": {}}""").Budget.ShouldBeNull();

    [Fact]
    public void ParseObject_DoesNotModifyTheCallersObject()
    {
        var raw = JsonNode.Parse("""{"engine":"claude","prompt":"p","stall-timeout":"5m"}""")!.AsObject();
        var before = raw.ToJsonString();
        JobSpecParser.ParseObject(raw, Ctx);
        raw.ToJsonString().ShouldBe(before);
    }

    [Theory]
    [InlineData("""{"a":1,"a":2}""", "invalid JSON")]
    [InlineData("""[1,2]""", "expected a JSON object, got an array")]
    [InlineData("""{"engine":""", "invalid JSON")]
    public void ParseJson_MalformedDocument_IsRejectedWithoutField(string json, string contains)
    {
        var e = Should.Throw<JobSpecException>(() => Json(json));
        e.Field.ShouldBeNull();
        e.Message.ShouldContain(contains);
    }

    [Fact]
    public void ParseJson_InvalidUtf8_IsRejected()
    {
        byte[] bytes = [.. "{\"engine\":\"claude\",\"prompt\":\""u8, 0xC3, 0x28, .. "\"}"u8];
        var e = Should.Throw<JobSpecException>(() => JobSpecParser.ParseJson(bytes, Ctx));
        e.Message.ShouldContain("invalid UTF-8");
    }

    [Fact]
    public void ParseJson_Utf8Bom_IsIgnored()
    {
        byte[] bytes = [0xEF, 0xBB, 0xBF, .. "{\"engine\":\"claude\",\"prompt\":\"p\"}"u8];
        JobSpecParser.ParseJson(bytes, Ctx).Prompt.ShouldBe("p");
    }

    [Theory]
    [InlineData("spec.json", "{\"engine\":\"claude\",\"prompt\":\"from json\"}", "from json")]
    [InlineData("spec.md", "---\nengine: claude\n---\nfrom md\n", "from md")]
    [InlineData("spec.markdown", "---\nengine: claude\n---\nfrom markdown\n", "from markdown")]
    public void ParseFile_ChoosesFormatByExtension(string name, string content, string prompt)
    {
        Dir.File(name, content);
        JobSpecParser.ParseFile(name, Ctx).Prompt.ShouldBe(prompt);
    }

    [Theory]
    [InlineData("spec.yaml", "unsupported spec file type")]
    [InlineData("missing.json", "file not found")]
    public void ParseFile_BadFile_IsRejected(string name, string contains)
    {
        if (name.EndsWith(".yaml", StringComparison.Ordinal))
            Dir.File(name, "engine: claude");
        var e = Should.Throw<JobSpecException>(() => JobSpecParser.ParseFile(name, Ctx));
        e.Field.ShouldBeNull();
        e.Message.ShouldContain(contains);
    }

    [Fact]
    public void ParseObject_ClrValuesFromCliFlags_AreAccepted()
    {
        var raw = new JsonObject
        {
            ["engine"] = "codex",
            ["prompt"] = "p",
            ["priority"] = 75,
            ["timeout"] = 90.0,
            ["after"] = new JsonArray(3L, "k"),
            ["budget"] = new JsonObject { ["usd"] = 1.25m, ["tokens"] = 10 },
            ["labels"] = new JsonObject { ["n"] = 5 },
        };
        var spec = JobSpecParser.ParseObject(raw, Ctx);
        spec.Priority.ShouldBe(75);
        spec.Timeout.ShouldBe(TimeSpan.FromSeconds(90));
        spec.After.ShouldBe(["3", "k"]);
        spec.Budget.ShouldBe(new Budget(1.25m, 10));
        spec.Labels["n"].ShouldBe("5");
    }

    [Fact]
    public void ParseObject_NaN_IsRejectedAsOutOfRange()
    {
        var raw = new JsonObject { ["engine"] = "codex", ["prompt"] = "p", ["timeout"] = double.NaN };
        Should.Throw<JobSpecException>(() => JobSpecParser.ParseObject(raw, Ctx)).Field.ShouldBe("timeout");
    }
}
