using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Engines.Agents;

namespace Drover.Engines.Tests.Agents;

/// <summary>
/// Contract tests for Gemini CLI's <c>--output-format stream-json</c>. The lines are synthesized for these tests from
/// the documented event shapes (geminicli.com headless reference, <c>packages/core/src/output/types.ts</c>); no real
/// gemini run was recorded.
/// </summary>
public sealed class GeminiStreamTests
{
    private const string Init = """{"type":"init","timestamp":"2026-11-20T10:00:00.000Z","session_id":"g-1","model":"gemini-2.5-pro"}""";

    private static (List<string?> Progress, AgentVerdict Verdict) Run(int exitCode, params string[] lines)
    {
        var stream = new GeminiStream();
        var progress = lines.Select(stream.Read).ToList();
        return (progress, stream.Finish(exitCode, null));
    }

    [Fact]
    public void Success_CollectsDeltasIntoTheFinalMessage_AndReadsTokensOnly()
    {
        var (progress, verdict) = Run(0, Init,
            """{"type":"message","timestamp":"t","role":"user","content":"create hello.txt"}""",
            """{"type":"message","timestamp":"t","role":"assistant","content":"I'll create ","delta":true}""",
            """{"type":"message","timestamp":"t","role":"assistant","content":"the file.","delta":true}""",
            """{"type":"tool_use","timestamp":"t","tool_name":"write_file","tool_id":"c1","parameters":{"file_path":"/w/hello.txt","content":"hi"}}""",
            """{"type":"tool_result","timestamp":"t","tool_id":"c1","status":"success","output":"ok"}""",
            """{"type":"message","timestamp":"t","role":"assistant","content":"Done: created ","delta":true}""",
            """{"type":"message","timestamp":"t","role":"assistant","content":"hello.txt.","delta":true}""",
            """{"type":"result","timestamp":"t","status":"success","stats":{"total_tokens":2650,"input_tokens":2500,"output_tokens":90,"cached":2100,"input":400,"duration_ms":1200,"tool_calls":1,"models":{"gemini-2.5-pro":{"total_tokens":2650,"input_tokens":2500,"output_tokens":90,"cached":2100,"input":400}}}}""");

        verdict.Failure.ShouldBeNull();
        verdict.SessionId.ShouldBe("g-1");
        verdict.FinalMessage.ShouldBe("Done: created hello.txt.");
        verdict.ToolCalls.ShouldBe(1);
        progress.ShouldBe(["gemini started (gemini-2.5-pro)", null, null, null, "write_file: /w/hello.txt", null, null, null, "says: Done: created hello.txt."]);

        // 60 thinking tokens are what total has beyond prompt and candidates: reasoning, counted in output.
        verdict.Usage.ShouldBe(new AgentUsage(400, 2100, 0, 150, 60, null, "gemini-2.5-pro"));
        verdict.Usage!.ToRecord().CostSource.ShouldBe("unknown");
    }

    [Fact]
    public void OlderStats_WithoutCacheFields_InputIsThePrompt()
    {
        var (_, verdict) = Run(0, Init,
            """{"type":"message","timestamp":"t","role":"assistant","content":"ok","delta":true}""",
            """{"type":"result","timestamp":"t","status":"success","stats":{"total_tokens":120,"input_tokens":100,"output_tokens":20,"duration_ms":5,"tool_calls":0}}""");

        verdict.Usage.ShouldBe(new AgentUsage(100, 0, 0, 20, 0, null, "gemini-2.5-pro"));
    }

    [Fact]
    public void ResultStatusError_WithQuotaText_IsQuotaExhausted()
    {
        var (progress, verdict) = Run(1, Init,
            """{"type":"result","timestamp":"t","status":"error","error":{"type":"Error","message":"[API Error: You exceeded your current quota, please check your plan and billing details.]"},"stats":{"total_tokens":0,"input_tokens":0,"output_tokens":0,"cached":0,"input":0,"duration_ms":0,"tool_calls":0}}""");

        verdict.Failure.ShouldNotBeNull().Class.ShouldBe(FailureClass.QuotaExhausted);
        progress[^1].ShouldNotBeNull().ShouldStartWith("gemini failed: ");
    }

    [Fact]
    public void ResultStatusError_WithExitZero_StillFails()
    {
        var (_, verdict) = Run(0, Init,
            """{"type":"error","timestamp":"t","severity":"error","message":"Invalid stream: The model returned an empty response or malformed tool call."}""",
            """{"type":"result","timestamp":"t","status":"error","stats":{"total_tokens":0,"input_tokens":0,"output_tokens":0,"duration_ms":0,"tool_calls":0}}""");

        verdict.Failure.ShouldNotBeNull().Class.ShouldBe(FailureClass.ModelError);
        verdict.Failure.Reason.ShouldContain("Invalid stream");
    }

    [Fact]
    public void Exit53_TurnLimit_IsABudgetNotRetriedByDefault()
    {
        var (_, verdict) = Run(GeminiStream.TurnLimitExit, Init,
            """{"type":"error","timestamp":"t","severity":"error","message":"Maximum session turns exceeded"}""");

        var failure = verdict.Failure.ShouldNotBeNull();
        failure.Class.ShouldBe(FailureClass.BudgetExhausted);
        failure.Reason.ShouldContain("turn limit");
        failure.Reason.ShouldContain("Maximum session turns exceeded");
        RetryPolicy.Default.Retries(failure.Class).ShouldBeFalse();
    }

    [Fact]
    public void Exit42_InputError_IsNotRetried()
    {
        var stream = new GeminiStream();
        var verdict = stream.Finish(GeminiStream.InputErrorExit, "Unknown argument: bogus");

        var failure = verdict.Failure.ShouldNotBeNull();
        failure.Reason.ShouldContain("rejected its input");
        failure.Reason.ShouldContain("Unknown argument: bogus");
        RetryPolicy.Default.Retries(failure.Class).ShouldBeFalse();
    }

    [Fact]
    public void Exit1_WithoutResult_IsClassifiedFromStderr()
    {
        var verdict = new GeminiStream().Finish(1, "Error: 429 Too Many Requests, retry after 30s");

        verdict.Failure.ShouldNotBeNull().Class.ShouldBe(FailureClass.RateLimited);
        verdict.Failure.RetryAt.ShouldNotBeNull();
    }

    [Fact]
    public void ToolError_IsShown_AndAWarningIsNotAFailure()
    {
        var (progress, verdict) = Run(0, Init,
            """{"type":"tool_use","timestamp":"t","tool_name":"run_shell_command","tool_id":"c1","parameters":{"command":"make test"}}""",
            """{"type":"tool_result","timestamp":"t","tool_id":"c1","status":"error","error":{"type":"SHELL_ERROR","message":"exit 2"}}""",
            """{"type":"error","timestamp":"t","severity":"warning","message":"Loop detected, stopping execution"}""",
            """{"type":"message","timestamp":"t","role":"assistant","content":"Tests fail; stopping."}""",
            """{"type":"result","timestamp":"t","status":"success","stats":{"total_tokens":10,"input_tokens":8,"output_tokens":2,"duration_ms":1,"tool_calls":1}}""");

        progress.ShouldContain("run_shell_command: make test");
        progress.ShouldContain("tool error: exit 2");
        progress.ShouldContain("warning: Loop detected, stopping execution");
        verdict.Failure.ShouldBeNull();
        verdict.FinalMessage.ShouldBe("Tests fail; stopping.");
    }

    [Fact]
    public void NoReply_IsNotASuccess()
    {
        var (_, verdict) = Run(0, Init,
            """{"type":"result","timestamp":"t","status":"success","stats":{"total_tokens":0,"input_tokens":0,"output_tokens":0,"duration_ms":1,"tool_calls":0}}""");

        verdict.Failure.ShouldNotBeNull().Class.ShouldBe(FailureClass.ModelError);
        verdict.Usage.ShouldNotBeNull().IsZero.ShouldBeTrue();
    }
}
