namespace Drover.Core.Tests.Specs;

public sealed class JobSpecJsonTests : SpecTestBase
{
    private const string Full = """
        {"title": "T", "prompt": "Multi\nline ☃ 'quoted' <b>", "engine": "claude", "model": "opus",
         "base": "main", "priority": 80, "capabilities": ["os:linux", "node>=20"], "key": "k1", "after": ["3", "dep"],
         "deps_mode": "soft", "lock": "db", "timeout": "1h30m", "stall_timeout": 61,
         "retry": {"max_attempts": 4, "backoff": "2s", "max_backoff": "1h", "on": ["crash"]},
         "budget": {"usd": 2.50, "tokens": 1000}, "verify": "make test", "allowed_paths": ["src/**"],
         "scope_policy": "enforce", "review": "human", "labels": {"z": "1", "a": "2"},
         "tracker": "github:o/r#1", "env": {"B": "2", "A": "1"}, "secrets": ["S"]}
        """;

    [Theory]
    [InlineData(Full)]
    [InlineData("""{"engine": "claude", "prompt": "p"}""")]
    [InlineData("""{"command": ["make", "it"], "lock": "none"}""")]
    [InlineData("""{"engine_class": "coder", "prompt": "p", "budget": {"tokens": 5}}""")]
    [InlineData("""{"engine": "shell", "command": "echo hi", "prompt": "also a prompt", "timeout": 1.5}""")]
    public void Serialize_ThenParseJson_GivesAnEqualSpec(string json)
    {
        var spec = Json(json);
        var canonical = JobSpecJson.Serialize(spec);
        var again = Json(canonical);
        again.ShouldBe(spec);
        JobSpecJson.Serialize(again).ShouldBe(canonical);
    }

    [Fact]
    public void Serialize_ThenDeserialize_GivesAnEqualSpecWithoutTouchingDisk()
    {
        var spec = Json(Full);
        var canonical = JobSpecJson.Serialize(spec);
        Dir.Dispose(); // the repo is gone; stored specs must still load
        JobSpecJson.Deserialize(canonical).ShouldBe(spec);
    }

    [Fact]
    public void Serialize_CanonicalForm_IsSnakeCaseWithSecondsAndSortedMaps()
    {
        var obj = JsonNode.Parse(JobSpecJson.Serialize(Json(Full)))!.AsObject();
        obj["timeout"]!.GetValue<long>().ShouldBe(5400);
        obj["stall_timeout"]!.GetValue<long>().ShouldBe(61);
        obj["retry"]!["max_backoff"]!.GetValue<long>().ShouldBe(3600);
        obj["budget"]!["usd"]!.ToJsonString().ShouldBe("2.5");
        obj["labels"]!.AsObject().Select(p => p.Key).ShouldBe(["a", "z"]);
        obj["env"]!.AsObject().Select(p => p.Key).ShouldBe(["A", "B"]);
        obj["deps_mode"]!.GetValue<string>().ShouldBe("soft");
        obj.Select(p => p.Key).ShouldAllBe(k => k.All(c => char.IsAsciiLetterLower(c) || c == '_'));
    }

    [Fact]
    public void Serialize_AbsentValues_AreExplicitSoProfilesCannotChangeAStoredSpec()
    {
        var spec = With("{}");
        var canonical = JobSpecJson.Serialize(spec);
        Ctx = Ctx with { Profiles = new Dictionary<string, JsonObject> { ["default"] = new() { ["verify"] = "make", ["model"] = "m" } } };
        Json(canonical).ShouldBe(spec);
    }

    [Fact]
    public void Hash_SameSpecDifferentSpelling_IsEqual()
    {
        var a = Json("""{"engine": "claude", "prompt": "p", "timeout": "1h", "labels": {"b": "1", "a": "2"}, "budget": {"usd": 2.50}}""");
        var b = Json("""{"budget": {"usd": 2.5}, "labels": {"a": "2", "b": "1"}, "timeout": 3600, "prompt": "p", "engine": "claude"}""");
        JobSpecJson.Hash(a).ShouldBe(JobSpecJson.Hash(b));
        a.GetHashCode().ShouldBe(b.GetHashCode());
    }

    [Fact]
    public void Hash_DifferentSpec_Differs() =>
        JobSpecJson.Hash(With("""{"priority": 51}""")).ShouldNotBe(JobSpecJson.Hash(With("{}")));

    [Fact]
    public void Hash_IsHexSha256OfCanonicalJson()
    {
        var spec = With("{}");
        var hash = JobSpecJson.Hash(spec);
        hash.ShouldBe(JobSpecJson.Hash(JobSpecJson.Serialize(spec)));
        hash.Length.ShouldBe(64);
    }

    [Fact]
    public void Options_SerializeASpecInsideAnotherObject_Canonically()
    {
        var spec = With("{}");
        var json = System.Text.Json.JsonSerializer.Serialize(new { Id = 1, Spec = spec }, JobSpecJson.Options);
        json.ShouldBe($$"""{"id":1,"spec":{{JobSpecJson.Serialize(spec)}}}""");
    }
}
