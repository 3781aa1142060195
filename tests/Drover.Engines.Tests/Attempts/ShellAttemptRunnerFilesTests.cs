using Drover.Core.Jobs;
using Drover.Core.Storage;
using Drover.Engines.Attempts;
using Drover.Engines.Tests.Support;
using static Drover.Engines.Tests.Attempts.AttemptHarness;

namespace Drover.Engines.Tests.Attempts;

/// <summary>What an attempt leaves behind and sees: run dir files, environment, prompt with answers, retries, non-git repos.</summary>
public sealed class ShellAttemptRunnerFilesTests : IDisposable
{
    private readonly AttemptHarness _h = new();

    [Fact]
    public async Task RunDir_HoldsPromptLogAndResultJson()
    {
        var spec = await _h.SpecAsync($"{{\"prompt\": \"Do the thing.\", \"command\": {Quote("echo out; echo err >&2; echo change > c.txt")}}}");

        var report = await _h.RunAsync(spec, Job(spec, id: 5, attempt: 2));

        var dir = _h.RunDir(5, 2);
        File.ReadAllText(Path.Combine(dir, "prompt.md")).ShouldBe("Do the thing.");
        _h.LogLines(5, 2).ShouldBe(["out", "err"], ignoreOrder: true);
        File.Exists(Path.Combine(dir, "result.json.tmp")).ShouldBeFalse();

        var json = _h.ResultJson(5, 2);
        json.GetProperty("state").GetString().ShouldBe("succeeded");
        json.GetProperty("outcome").GetProperty("kind").GetString().ShouldBe("succeeded");
        json.GetProperty("aborted").GetBoolean().ShouldBeFalse();
        json.GetProperty("duration_s").GetDouble().ShouldBeGreaterThan(0);
        json.GetProperty("workspace").GetString().ShouldBe(_h.Worktree(5));
        var result = json.GetProperty("result");
        result.GetProperty("exit_code").GetInt32().ShouldBe(0);
        result.GetProperty("branch").GetString().ShouldBe("drover/5");
        result.GetProperty("head").GetString().ShouldBe(report.Result.Head);
        result.GetProperty("diff").GetProperty("files").GetInt32().ShouldBe(1);
        result.GetProperty("log_tail").GetString().ShouldBe(report.Result.LogTail);
        report.Result.LogTail.ShouldNotBeNull().ShouldContain("out\n");
    }

    [Fact]
    public async Task ResultJson_RecordsTheFailureClassAndReason()
    {
        await _h.RunAsync(Shell("echo bad >&2; exit 9"));

        var outcome = _h.ResultJson().GetProperty("outcome");
        _h.ResultJson().GetProperty("state").GetString().ShouldBe("failed");
        outcome.GetProperty("class").GetString().ShouldBe("crash");
        outcome.GetProperty("reason").GetString().ShouldBe("exit code 9: bad");
    }

    [Fact]
    public async Task Environment_CarriesTheAttemptsIdentityAndTheSpecsEnv()
    {
        var spec = await _h.SpecAsync(Shell(
            "echo \"job=$DROVER_JOB_ID attempt=$DROVER_ATTEMPT\"; echo \"ws=$DROVER_WORKSPACE\"; " +
            "echo \"prompt=$DROVER_PROMPT_FILE\"; echo \"pwd=$(pwd)\"; echo \"extra=$EXTRA\"",
            "\"env\": {\"EXTRA\": \"from the spec\"}"));

        await _h.RunAsync(spec, Job(spec, id: 42, attempt: 3));

        _h.LogLines(42, 3).ShouldBe([
            "job=42 attempt=3",
            $"ws={_h.Worktree(42)}",
            $"prompt={Path.Combine(_h.RunDir(42, 3), "prompt.md")}",
            $"pwd={_h.Worktree(42)}",
            "extra=from the spec",
        ]);
    }

    [Fact]
    public async Task Answers_AreAppendedToThePrompt_AndARetryResumesFromTheCheckpoint()
    {
        var spec = await _h.SpecAsync($$"""
            {"prompt": "Paint it.", "command": {{Quote(
                "if [ ! -f step1.txt ]; then echo one > step1.txt; echo 'DROVER_QUESTION Which colour?'; exit 0; fi; " +
                "cat \"$DROVER_PROMPT_FILE\"; echo two > step2.txt")}}}
            """);

        var first = await _h.RunAsync(spec, Job(spec, id: 7, attempt: 1));
        var second = await _h.RunAsync(spec, Job(spec, id: 7, attempt: 2, answers: ["blue", "  large  "]));

        first.Outcome.ShouldBe(AttemptOutcome.AwaitAnswer("Which colour?"));
        File.ReadAllText(Path.Combine(_h.RunDir(7, 1), "prompt.md")).ShouldBe("Paint it.");
        const string Composed = "Paint it.\n\n## Answers\n\nblue\n\n  large\n";
        File.ReadAllText(Path.Combine(_h.RunDir(7, 2), "prompt.md")).ShouldBe(Composed);
        second.Outcome.ShouldBe(AttemptOutcome.Success());
        _h.LogLines(7, 2).ShouldBe(Composed.TrimEnd('\n').Split('\n'));
        second.Result.Diff.ShouldBe(new DiffStats(2, 2, 0), "the diff is against the job's base, across attempts");
        Git.Run(_h.Repo, "rev-list", "--count", $"{_h.BaseSha}..drover/7").ShouldBe("2");
    }

    [Fact]
    public async Task NotAGitRepo_RunsInPlaceWithoutBranchOrDiff()
    {
        var report = await _h.RunAsync(Shell("echo hi > here.txt; pwd",
            $"\"repo\": {Quote(_h.Plain)}, \"allowed_paths\": [\"src/**\"], \"scope_policy\": \"enforce\""));

        report.Outcome.ShouldBe(AttemptOutcome.Success());
        File.ReadAllText(Path.Combine(_h.Plain, "here.txt")).ShouldBe("hi\n");
        report.Result.Summary.ShouldBe(_h.Plain);
        report.Result.Branch.ShouldBeNull();
        report.Result.Head.ShouldBeNull();
        report.Result.Diff.ShouldBeNull();
        Directory.Exists(Path.Combine(_h.Home, "work")).ShouldBeFalse();
        _h.LogLines().ShouldContain("[drover] warning: allowed_paths not checked: the repo is not a git repo");
        _h.ResultJson().GetProperty("workspace").GetString().ShouldBe(_h.Plain);
    }

    [Fact]
    public async Task UnknownEngine_IsNoEngine_AndWritesNothing()
    {
        var report = await _h.RunAsync("""{"engine": "claude", "prompt": "hi"}""");

        report.Outcome.ShouldBe(AttemptOutcome.Failure(FailureClass.NoEngine, "engine claude is not available on this worker"));
        Directory.Exists(Path.Combine(_h.Home, "runs")).ShouldBeFalse();
        Directory.Exists(Path.Combine(_h.Home, "work")).ShouldBeFalse();
    }

    [Fact]
    public async Task DriverThatRefuses_IsNoEngineWithItsReason()
    {
        var runner = new ShellAttemptRunner(drivers: [new RefusingDriver()]);
        var spec = await _h.SpecAsync("""{"engine": "picky", "prompt": "hi"}""");

        var report = await runner.RunAsync(new AttemptContext(Job(spec), spec, _h.Home, _h.KillGrace, _h.Sink), TestContext.Current.CancellationToken);

        report.Outcome.ShouldBe(AttemptOutcome.Failure(FailureClass.NoEngine, "picky needs a model"));
        File.Exists(Path.Combine(_h.RunDir(), "result.json")).ShouldBeTrue();
    }

    [Fact]
    public async Task BaseThatIsNotACommit_IsInfra_AndStillLeavesLogAndResult()
    {
        var spec = await _h.SpecAsync(Shell("echo never"));
        spec = spec with { Base = "1111111111111111111111111111111111111111" };

        var report = await _h.RunAsync(spec);

        report.Outcome.Class.ShouldBe(FailureClass.Infra);
        report.Outcome.Reason.ShouldNotBeNull().ShouldStartWith("workspace: ");
        report.Result.EngineRan.ShouldBeFalse();
        _h.LogLines().ShouldContain(l => l.StartsWith("[drover] workspace: ", StringComparison.Ordinal));
        _h.LogLines().ShouldNotContain("never");
        _h.ResultJson().GetProperty("outcome").GetProperty("class").GetString().ShouldBe("infra");
    }

    [Fact]
    public async Task ManyAttemptsAtOnce_OnOneRepo_EachCommitsToItsOwnBranch()
    {
        var spec = await _h.SpecAsync(Shell("echo \"$DROVER_JOB_ID\" > job.txt; mkdir -p src; echo more >> src/app.txt"));
        long[] ids = [61, 62, 63, 64];

        var reports = await Task.WhenAll(ids.Select(id => _h.RunAsync(spec, Job(spec, id))));

        reports.ShouldAllBe(r => r.Outcome.Kind == AttemptOutcomeKind.Succeeded);
        foreach (var id in ids)
        {
            _h.OnJobBranch("job.txt", id).ShouldBe($"{id}");
            _h.OnJobBranch("src/app.txt", id).ShouldBe("one\ntwo\nthree\nmore");
        }
    }

    private sealed class RefusingDriver : IEngineDriver
    {
        public string Name => "picky";

        public EngineLaunch Launch(EngineRequest request) => EngineLaunch.Refuse("picky needs a model");
    }

    public void Dispose() => _h.Dispose();
}
