using System.Text;
using System.Text.Json.Nodes;
using Drover.Core.Specs;

namespace Drover.Core.Tests.Specs;

/// <summary>The one merge of file and flags, every error at once, known engines, and a repo the API must be given.</summary>
public sealed class SubmissionTests : SpecTestBase
{
    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void MergeSubmission_KebabKeyInFileAndFlag_FlagWinsOnce()
    {
        var md = "---\nengine: claude\nstall-timeout: 10m\nretry:\n  max-attempts: 5\n  backoff: 1m\nlabels:\n  team: core\n---\nFix it\n";
        var flags = new JsonObject { ["stall_timeout"] = "5m", ["retry"] = new JsonObject { ["max_attempts"] = 2 }, ["labels"] = new JsonObject { ["area"] = "cli" } };

        var merged = JobSpecParser.MergeSubmission(Utf8(md), SpecFileFormat.Markdown, flags);
        var spec = JobSpecParser.ParseObject(merged, Ctx);

        spec.StallTimeout.ShouldBe(TimeSpan.FromMinutes(5));
        spec.Retry.MaxAttempts.ShouldBe(2);
        spec.Retry.Backoff.ShouldBe(TimeSpan.FromMinutes(1), "objects merge key by key: the file's backoff stays");
        spec.Labels.ShouldBe(new SortedDictionary<string, string> { ["team"] = "core", ["area"] = "cli" });
        spec.Prompt.ShouldBe("Fix it");
    }

    [Fact]
    public void MergeSubmission_JsonFileAndPromptFlag_FlagPromptReplacesFilePrompt()
    {
        var merged = JobSpecParser.MergeSubmission(Utf8("""{"engine": "claude", "prompt": "from file", "timeout": "2h"}"""), SpecFileFormat.Json, new JsonObject { ["prompt"] = "from flag" });

        merged["prompt"]!.GetValue<string>().ShouldBe("from flag");
        merged["timeout"]!.GetValue<string>().ShouldBe("2h");
    }

    [Fact]
    public void FileFormat_UnknownExtension_RejectedNamingFile()
    {
        Should.Throw<JobSpecException>(() => JobSpecParser.FileFormat("job.yaml")).Field.ShouldBe("file");
        JobSpecParser.FileFormat("a/Job.MD").ShouldBe(SpecFileFormat.Markdown);
    }

    [Fact]
    public void Parse_SeveralBadFields_ReportsEveryOne()
    {
        var e = Should.Throw<JobSpecException>(() => With("""{"priority": "urgent", "timeout": "soon", "tmeout": "5m", "review": "maybe"}"""));

        e.Errors.Select(x => x.Field).ShouldBe(["tmeout", "priority", "timeout", "review"], ignoreOrder: true);
        e.Field.ShouldBe("tmeout", "the first problem keeps error/field");
    }

    [Fact]
    public void Parse_UnknownEngine_RejectedWithSuggestion()
    {
        Ctx = Ctx with { Engines = new HashSet<string>(EngineNames.BuiltIn) };

        var e = Rejects("""{"engine": "claud"}""", "engine", "unknown engine \"claud\" (did you mean claude?)");

        e.Errors.Count.ShouldBe(1);
    }

    [Fact]
    public void Parse_UnknownEngineWithCommand_BlamesEngineNotCommand()
    {
        Ctx = Ctx with { Engines = new HashSet<string>(EngineNames.BuiltIn) };

        var e = Should.Throw<JobSpecException>(() => JobSpecParser.ParseObject(new JsonObject { ["engine"] = "shel", ["command"] = "true" }, Ctx));

        e.Errors.Select(x => x.Field).ShouldBe(["engine"]);
        e.Message.ShouldContain("did you mean shell?");
    }

    [Fact]
    public void Parse_CustomEngineFromConfig_Accepted()
    {
        var config = Drover.Core.Configuration.DroverConfigLoader.Parse("[engines.mytool]\ncommand = [\"mytool\", \"{prompt_file}\"]\n");
        Ctx = config.SpecContext(Dir.Path);

        JobSpecParser.ParseObject(new JsonObject { ["engine"] = "mytool", ["prompt"] = "p" }, Ctx).Engine.ShouldBe("mytool");
        Should.Throw<JobSpecException>(() => JobSpecParser.ParseObject(new JsonObject { ["engine"] = "mytol", ["prompt"] = "p" }, Ctx))
            .Message.ShouldContain("did you mean mytool?");
    }

    [Fact]
    public void Parse_RepoRequiredAndMissing_RejectedNamingRepo()
    {
        Ctx = Ctx with { RequireRepo = true };

        Rejects("{}", "repo", "required");
        Rejects("""{"repo": "relative/dir"}""", "repo", "absolute path");
        With($$"""{"repo": {{System.Text.Json.JsonSerializer.Serialize(Dir.Path)}}}""").Repo.ShouldBe(Dir.Path);
    }
}
