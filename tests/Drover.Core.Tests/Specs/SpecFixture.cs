using System.Text;
using System.Text.Json.Nodes;
using Drover.Core.Specs;

namespace Drover.Core.Tests.Specs;

/// <summary>A throwaway plain (non-git) directory to use as <c>repo</c> and working directory.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = Directory.CreateTempSubdirectory("drover-spec-").FullName;
    }

    public string Path { get; }

    public string Sub(string name)
    {
        var p = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(p);
        return p;
    }

    public string File(string name, string content = "")
    {
        var p = System.IO.Path.Combine(Path, name);
        System.IO.File.WriteAllText(p, content);
        return p;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp dir is not a test failure.
        }
    }
}

/// <summary>Shared helpers: parse JSON text or an object against a temp working directory.</summary>
public abstract class SpecTestBase : IDisposable
{
    protected SpecTestBase()
    {
        Ctx = SpecParseContext.For(Dir.Path);
    }

    protected TempDir Dir { get; } = new();

    protected SpecParseContext Ctx { get; set; }

    protected JobSpec Json(string json) => JobSpecParser.ParseJson(Encoding.UTF8.GetBytes(json), Ctx);

    protected JobSpec Md(string markdown) => JobSpecParser.ParseMarkdown(Encoding.UTF8.GetBytes(markdown), Ctx);

    /// <summary>A minimal valid claude job with <paramref name="extra"/> keys set over it.</summary>
    protected JobSpec With(string extra)
    {
        var obj = JsonNode.Parse("{\"engine\":\"claude\",\"prompt\":\"Fix the bug\"}")!.AsObject();
        foreach (var (k, v) in JsonNode.Parse(extra)!.AsObject())
            obj[k] = v?.DeepClone();
        return JobSpecParser.ParseObject(obj, Ctx);
    }

    /// <summary>Asserts <paramref name="extra"/> is rejected naming <paramref name="field"/> with a message containing <paramref name="contains"/>.</summary>
    protected JobSpecException Rejects(string extra, string? field, string contains)
    {
        var e = Should.Throw<JobSpecException>(() => With(extra));
        e.Field.ShouldBe(field);
        e.Message.ShouldContain(contains);
        return e;
    }

    public void Dispose()
    {
        Dir.Dispose();
        GC.SuppressFinalize(this);
    }
}
