using System.Text;
using System.Text.Json;

namespace Drover.Core.Tests.Specs;

/// <summary>Runs tests/corpus (see its README.md): every bad spec is rejected as listed, every good one parses verbatim.</summary>
public sealed class SpecCorpusTests : IDisposable
{
    private readonly TempDir _repo = new();
    private readonly TempDir _scratch = new();

    public SpecCorpusTests()
    {
        _repo.File("not-a-dir.txt");
    }

    public static TheoryData<string> BadCases() => new(Cases("bad-specs").Select(c => c.GetProperty("file").GetString()!));

    public static TheoryData<string> GoodCases() => new(Cases("good-specs").Select(c => c.GetProperty("file").GetString()!));

    [Fact]
    public void Corpus_HasAtLeast45BadCasesEachWithAFile()
    {
        var cases = Cases("bad-specs").ToList();
        cases.Count.ShouldBeGreaterThanOrEqualTo(45);
        foreach (var c in cases.Where(c => !c.TryGetProperty("generate", out _)))
            File.Exists(Path.Combine(CorpusDir("bad-specs"), c.GetProperty("file").GetString()!)).ShouldBeTrue();
    }

    [Theory]
    [MemberData(nameof(BadCases))]
    public void BadSpec_IsRejectedNamingFieldAndRule(string file)
    {
        var c = Case("bad-specs", file);
        var e = Should.Throw<JobSpecException>(() => JobSpecParser.ParseFile(Materialize("bad-specs", c), Context()));
        var field = c.GetProperty("field");
        e.Field.ShouldBe(field.ValueKind == JsonValueKind.Null ? null : field.GetString());
        e.Message.ShouldContain(c.GetProperty("contains").GetString()!, Shouldly.Case.Sensitive);
    }

    [Theory]
    [MemberData(nameof(GoodCases))]
    public void GoodSpec_ParsesVerbatimAndRoundTrips(string file)
    {
        var c = Case("good-specs", file);
        var spec = JobSpecParser.ParseFile(Materialize("good-specs", c), Context());
        spec.Title.ShouldBe(c.GetProperty("title").GetString());
        spec.Prompt.ShouldBe(c.GetProperty("prompt").GetString());
        spec.Engine.ShouldBe(c.GetProperty("engine").GetString());
        var canonical = JobSpecJson.Serialize(spec);
        JobSpecParser.ParseJson(Encoding.UTF8.GetBytes(canonical), Context()).ShouldBe(spec);
        JobSpecJson.Deserialize(canonical).ShouldBe(spec);
    }

    public void Dispose()
    {
        _repo.Dispose();
        _scratch.Dispose();
    }

    private SpecParseContext Context() => new(_repo.Path, new Dictionary<string, JsonObject>
    {
        ["default"] = new() { ["engine"] = "claude" },
    });

    /// <summary>Writes the case's file with <c>{repo}</c> replaced (or generated) into scratch; returns its path.</summary>
    private string Materialize(string dir, JsonElement c)
    {
        var file = c.GetProperty("file").GetString()!;
        byte[] bytes;
        if (c.TryGetProperty("generate", out var gen))
        {
            gen.GetString().ShouldBe("prompt_2mib");
            bytes = Encoding.UTF8.GetBytes($$"""{"engine": "claude", "repo": "{repo}", "prompt": "{{new string('a', 2 * 1024 * 1024)}}"}""");
        }
        else
        {
            bytes = File.ReadAllBytes(Path.Combine(CorpusDir(dir), file));
        }

        var path = Path.Combine(_scratch.Path, file);
        File.WriteAllBytes(path, Replace(bytes, "{repo}"u8.ToArray(), Encoding.UTF8.GetBytes(_repo.Path)));
        return path;
    }

    private static byte[] Replace(byte[] source, byte[] find, byte[] with)
    {
        var result = new List<byte>(source.Length);
        for (var i = 0; i < source.Length;)
        {
            if (source.AsSpan(i).StartsWith(find))
            {
                result.AddRange(with);
                i += find.Length;
            }
            else
            {
                result.Add(source[i++]);
            }
        }

        return [.. result];
    }

    private static JsonElement Case(string dir, string file) =>
        Cases(dir).Single(c => c.GetProperty("file").GetString() == file);

    private static List<JsonElement> Cases(string dir) =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(CorpusDir(dir), "cases.json"))).RootElement.EnumerateArray().ToList();

    /// <summary>tests/corpus/&lt;dir&gt;, found by walking up from the test binary (the corpus is shared, not copied).</summary>
    private static string CorpusDir(string dir)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "tests", "corpus", dir);
            if (Directory.Exists(candidate))
                return candidate;
        }

        throw new DirectoryNotFoundException($"tests/corpus/{dir} not found above {AppContext.BaseDirectory}");
    }
}
