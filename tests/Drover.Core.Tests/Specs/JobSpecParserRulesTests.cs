namespace Drover.Core.Tests.Specs;

/// <summary>Each SPEC §3 rule: one input that breaks it, the field named, and the rule in the message.</summary>
public sealed class JobSpecParserRulesTests : SpecTestBase
{
    [Theory]
    // keys
    [InlineData("""{"tmeout": "5m"}""", "tmeout", "unknown key \"tmeout\"")]
    [InlineData("""{"retry": {"max_attempt": 3}}""", "retry.max_attempt", "unknown key \"retry.max_attempt\"")]
    [InlineData("""{"budget": {"dollars": 3}}""", "budget.dollars", "unknown key \"budget.dollars\"")]
    [InlineData("""{"stall_timeout": "5m", "stall-timeout": "6m"}""", "stall_timeout", "more than once")]
    // types
    [InlineData("""{"expect_changes": "yes"}""", "expect_changes", "expected true or false, got a string")]
    [InlineData("""{"persona": "  "}""", "persona", "must not be empty")]
    [InlineData("""{"persona": 3}""", "persona", "expected a string")]
    [InlineData("""{"expect-changes": 1}""", "expect_changes", "expected true or false")]
    [InlineData("""{"title": 5}""", "title", "expected a string, got a number")]
    [InlineData("""{"capabilities": "os:linux"}""", "capabilities", "expected an array of strings, got a string")]
    [InlineData("""{"capabilities": [1]}""", "capabilities", "item 0 expected a string, got a number")]
    [InlineData("""{"labels": ["a"]}""", "labels", "expected an object")]
    [InlineData("""{"labels": {"a": {"b": 1}}}""", "labels", "expected a string, got an object")]
    [InlineData("""{"retry": 3}""", "retry", "expected an object, got a number")]
    [InlineData("""{"retry": {"max_attempts": "3"}}""", "retry.max_attempts", "expected an integer, got a string")]
    [InlineData("""{"retry": {"max_attempts": 2.5}}""", "retry.max_attempts", "expected an integer, got 2.5")]
    [InlineData("""{"timeout": true}""", "timeout", "expected a duration")]
    [InlineData("""{"priority": [1]}""", "priority", "expected a priority name or an integer 0-100, got an array")]
    [InlineData("""{"command": 5, "engine": "shell"}""", "command", "expected a string or an array of strings, got a number")]
    [InlineData("""{"budget": {"usd": "5"}}""", "budget.usd", "expected a number, got a string")]
    // prompt, engine, command
    [InlineData("""{"prompt": "  "}""", "prompt", "required")]
    [InlineData("""{"engine": "Claude"}""", "engine", "not a valid engine name")]
    [InlineData("""{"engine": "a-very-long-engine-name-over-32-chars"}""", "engine", "not a valid engine name")]
    [InlineData("""{"engine_class": "agentic coder"}""", "engine_class", "not a valid engine name")]
    [InlineData("""{"prefers": ["codex", "Bad!"]}""", "prefers", "not a valid engine name")]
    [InlineData("""{"engine": "shell"}""", "command", "required when engine is \"shell\"")]
    [InlineData("""{"command": "make"}""", "command", "only valid with engine \"shell\"")]
    [InlineData("""{"engine": "shell", "command": []}""", "command", "must not be an empty array")]
    [InlineData("""{"engine": "shell", "command": ["make", ""]}""", "command", "non-empty")]
    [InlineData("""{"engine": "shell", "command": "  "}""", "command", "must not be empty")]
    // text
    [InlineData("""{"title": "a\u0000b"}""", "title", "NUL")]
    [InlineData("""{"title": "line\nbreak"}""", "title", "control character U+000A")]
    [InlineData("""{"prompt": "bad \u0007 bell"}""", "prompt", "control character U+0007")]
    [InlineData("""{"prompt": "lone \ud800 surrogate"}""", "prompt", "unpaired surrogate")]
    [InlineData("""{"title": ""}""", "title", "must not be empty")]
    [InlineData("""{"model": "-rf"}""", "model", "not starting with '-'")]
    [InlineData("""{"model": "gpt 5"}""", "model", "one word")]
    [InlineData("""{"base": "--upload-pack=x"}""", "base", "not starting with '-'")]
    // durations
    [InlineData("""{"timeout": "0s"}""", "timeout", "\"0s\" is out of range (1s..7d)")]
    [InlineData("""{"timeout": "8d"}""", "timeout", "out of range (1s..7d)")]
    [InlineData("""{"timeout": 0}""", "timeout", "0 is out of range (1s..7d)")]
    [InlineData("""{"timeout": -5}""", "timeout", "out of range")]
    [InlineData("""{"timeout": 604801}""", "timeout", "out of range")]
    [InlineData("""{"timeout": "99999999999999999999d"}""", "timeout", "out of range")]
    [InlineData("""{"stall_timeout": "5 minutes"}""", "stall_timeout", "is not a duration")]
    [InlineData("""{"stall_timeout": "30m1h"}""", "stall_timeout", "is not a duration")]
    [InlineData("""{"stall_timeout": ""}""", "stall_timeout", "is not a duration")]
    [InlineData("""{"retry": {"backoff": "0s"}}""", "retry.backoff", "out of range")]
    [InlineData("""{"retry": {"max_backoff": "30d"}}""", "retry.max_backoff", "out of range")]
    // priority
    [InlineData("""{"priority": "urgent"}""", "priority", "is not a priority")]
    [InlineData("""{"priority": 101}""", "priority", "out of range (0..100)")]
    [InlineData("""{"priority": -1}""", "priority", "out of range (0..100)")]
    [InlineData("""{"priority": "HIGH"}""", "priority", "is not a priority")]
    // capabilities, key, after
    [InlineData("""{"capabilities": ["node >= 20"]}""", "capabilities", "is not a capability")]
    [InlineData("""{"capabilities": ["node>=x"]}""", "capabilities", "is not a capability")]
    [InlineData("""{"key": "12345"}""", "key", "not all digits")]
    [InlineData("""{"key": "has space"}""", "key", "is not a valid key")]
    [InlineData("""{"after": ["0"]}""", "after", "not a positive job id")]
    [InlineData("""{"after": ["bad key!"]}""", "after", "neither a job id nor a valid key")]
    [InlineData("""{"after": [1.5]}""", "after", "item 0 expected a string, got a number")]
    [InlineData("""{"key": "me", "after": ["me"]}""", "after", "own key")]
    [InlineData("""{"deps_mode": "strict"}""", "deps_mode", "not one of hard, soft")]
    // lock, retry, budget
    [InlineData("""{"lock": ""}""", "lock", "must not be empty")]
    [InlineData("""{"retry": {"max_attempts": 0}}""", "retry.max_attempts", "out of range (1..100)")]
    [InlineData("""{"retry": {"max_attempts": 101}}""", "retry.max_attempts", "out of range (1..100)")]
    [InlineData("""{"retry": {"on": ["crash", "oops"]}}""", "retry.on", "\"oops\" is not a failure class")]
    [InlineData("""{"budget": {"usd": -1}}""", "budget.usd", "out of range")]
    [InlineData("""{"budget": {"usd": 1000001}}""", "budget.usd", "out of range")]
    [InlineData("""{"budget": {"tokens": -1}}""", "budget.tokens", "out of range")]
    // enums, paths
    [InlineData("""{"review": "maybe"}""", "review", "not one of auto, human")]
    [InlineData("""{"scope_policy": "strict"}""", "scope_policy", "not one of warn, enforce")]
    [InlineData("""{"network": "internet"}""", "network", "\"internet\" is not one of gateway, none, open")]
    [InlineData("""{"allowed_paths": ["/etc/**"]}""", "allowed_paths", "must be relative")]
    [InlineData("""{"allowed_paths": ["C:/x"]}""", "allowed_paths", "must be relative")]
    [InlineData("""{"allowed_paths": ["src/../../etc"]}""", "allowed_paths", "\"..\" segments")]
    [InlineData("""{"allowed_paths": [""]}""", "allowed_paths", "must not be empty")]
    [InlineData("""{"verify": ""}""", "verify", "must not be empty")]
    // labels, env, secrets, tracker, profile
    [InlineData("""{"labels": {"bad key": "x"}}""", "labels", "key \"bad key\" is not valid")]
    [InlineData("""{"env": {"1BAD": "x"}}""", "env", "not a valid environment variable name")]
    [InlineData("""{"env": {"DROVER_JOB_ID": "x"}}""", "env", "reserved")]
    [InlineData("""{"env": {"A": "x\u0000y"}}""", "env", "NUL")]
    [InlineData("""{"secrets": ["MY-TOKEN"]}""", "secrets", "not a valid environment variable name")]
    [InlineData("""{"secrets": ["drover_token"]}""", "secrets", "reserved")]
    [InlineData("""{"tracker": "github"}""", "tracker", "not a tracker reference")]
    [InlineData("""{"tracker": "GitHub:x/y#1"}""", "tracker", "not a tracker reference")]
    [InlineData("""{"profile": "nope"}""", "profile", "unknown profile \"nope\"")]
    [InlineData("""{"profile": "a b"}""", "profile", "not a valid profile name")]
    public void Parse_WhenRuleBroken_RejectsNamingFieldAndRule(string extra, string field, string contains) =>
        Rejects(extra, field, contains);

    [Fact]
    public void Parse_PersonaOver64KiB_IsRejected() =>
        Rejects($$"""{"persona": "{{new string('p', (64 * 1024) + 1)}}"}""", "persona", "exceeds the 64 KiB limit");

    [Fact]
    public void Parse_ExpectChanges_DefaultsFalseAndRoundTrips()
    {
        With("""{}""").ExpectChanges.ShouldBeFalse();
        var spec = With("""{"expect-changes": true}""");
        spec.ExpectChanges.ShouldBeTrue();
        JobSpecJson.Deserialize(JobSpecJson.Serialize(spec)).ExpectChanges.ShouldBeTrue();
    }

    [Fact]
    public void Parse_ErrorMessage_StartsWithTheField() =>
        Rejects("""{"timeout": "0s"}""", "timeout", "timeout: \"0s\" is out of range (1s..7d)").Message
            .ShouldBe("timeout: \"0s\" is out of range (1s..7d)");

    [Fact]
    public void Parse_UnknownKey_MessageIsJustTheKey() =>
        Rejects("""{"tmeout": "5m"}""", "tmeout", "tmeout").Message.ShouldBe("unknown key \"tmeout\"");

    [Fact]
    public void Parse_PromptOverOneMiB_IsRejected()
    {
        var big = new string('a', (1024 * 1024) + 1);
        Rejects($$"""{"prompt": "{{big}}"}""", "prompt", "exceeds the 1 MiB limit");
    }

    [Fact]
    public void Parse_PromptOfExactlyOneMiB_IsAccepted() =>
        With($$"""{"prompt": "{{new string('a', 1024 * 1024)}}"}""").Prompt.Length.ShouldBe(1024 * 1024);

    [Fact]
    public void Parse_PromptLimit_CountsUtf8Bytes()
    {
        var big = string.Concat(Enumerable.Repeat("é", (512 * 1024) + 1)); // 2 bytes each
        Rejects($$"""{"prompt": "{{big}}"}""", "prompt", "1048578 bytes");
    }

    [Fact]
    public void Parse_TooManyDeps_IsRejected()
    {
        var deps = string.Join(",", Enumerable.Range(1, 101).Select(i => $"\"{i}\""));
        Rejects($$"""{"after": [{{deps}}]}""", "after", "101 dependencies exceed the limit of 100");
        With($$"""{"after": [{{deps[..deps.LastIndexOf(',')]}}]}""").After.Count.ShouldBe(100);
    }

    [Fact]
    public void Parse_TooManyLabels_IsRejected()
    {
        var labels = string.Join(",", Enumerable.Range(1, 65).Select(i => $"\"k{i}\": \"v\""));
        Rejects("{\"labels\": {" + labels + "}}", "labels", "65 labels exceed the limit of 64");
    }

    [Fact]
    public void Parse_LongLabelValueAndKey_AreRejected()
    {
        Rejects($$$"""{"labels": {"k": "{{{new string('v', 257)}}}"}}""", "labels", "longer than 256");
        Rejects($$$"""{"labels": {"{{{new string('k', 64)}}}": "v"}}""", "labels", "is not valid");
        With($$$"""{"labels": {"{{{new string('k', 63)}}}": "{{{new string('v', 256)}}}"}}""").Labels.Count.ShouldBe(1);
    }

    [Fact]
    public void Parse_LongTitleAndLock_AreRejected()
    {
        Rejects($$"""{"title": "{{new string('t', 201)}}"}""", "title", "longer than 200");
        Rejects($$"""{"lock": "{{new string('l', 201)}}"}""", "lock", "longer than 200");
        Rejects($$"""{"key": "{{new string('k', 201)}}"}""", "key", "not a valid key");
    }

    [Fact]
    public void Parse_RepoMissing_IsRejected() =>
        Rejects("""{"repo": "no-such-dir"}""", "repo", "does not exist");

    [Fact]
    public void Parse_RepoIsAFile_IsRejected()
    {
        Dir.File("notes.txt");
        Rejects("""{"repo": "notes.txt"}""", "repo", "is not a directory");
    }

    [Fact]
    public void Parse_RepoWithDotDot_IsRejectedEvenWhenItExists()
    {
        var sub = Dir.Sub("a");
        Rejects($$"""{"repo": "{{sub}}/.."}""", "repo", "must not contain \"..\" segments");
        Rejects("""{"repo": "a/../a"}""", "repo", "\"..\"");
    }

    [Fact]
    public void Parse_NoEngineAnywhere_IsRejected()
    {
        var e = Should.Throw<JobSpecException>(() => JobSpecParser.ParseObject(new JsonObject { ["prompt"] = "x" }, Ctx));
        e.Field.ShouldBe("engine");
        e.Message.ShouldContain("engine is required");
    }
}
