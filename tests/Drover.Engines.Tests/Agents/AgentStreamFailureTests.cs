using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Engines.Agents;

namespace Drover.Engines.Tests.Agents;

/// <summary>
/// The failure modes RECIPES.md records for each CLI, as minimal event lines in each CLI's own format
/// (written for these tests after the recorded shapes, not captured): exit code 0 alone never means success.
/// </summary>
public sealed class AgentStreamFailureTests
{
    private static AgentVerdict Run(AgentStream stream, int exitCode, params string[] lines)
    {
        foreach (var line in lines)
            stream.Read(line);
        return stream.Finish(exitCode, null);
    }

    private const string ClaudeInit = """{"type":"system","subtype":"init","session_id":"s-1","model":"claude-sonnet-4-5"}""";

    [Fact]
    public void Claude_PermissionDenialsWithExitZero_FailNotRetriedByDefault()
    {
        var verdict = Run(new ClaudeStream(), 0, ClaudeInit,
            """{"type":"result","subtype":"success","is_error":false,"result":"I could not write the file.","session_id":"s-1","permission_denials":[{"tool_name":"Write","tool_use_id":"t1","tool_input":{}}],"usage":{"input_tokens":10,"output_tokens":5}}""");

        var failure = verdict.Failure.ShouldNotBeNull();
        failure.Class.ShouldBe(FailureClass.Unknown);
        failure.Reason.ShouldContain("Write");
        RetryPolicy.Default.Retries(failure.Class).ShouldBeFalse();
    }

    [Fact]
    public void Claude_EndpointDown_SuccessSubtypeWithIsError_IsAModelError()
    {
        var verdict = Run(new ClaudeStream(), 0, ClaudeInit,
            """{"type":"result","subtype":"success","is_error":true,"api_error":"connection_failed","result":"API Error: Connection error.","session_id":"s-1"}""");

        verdict.Failure.ShouldNotBeNull().Class.ShouldBe(FailureClass.ModelError);
        verdict.Failure.Reason.ShouldContain("connection_failed");
    }

    [Fact]
    public void Claude_RateLimitWithResetTime_IsRateLimitedUntilThen()
    {
        var verdict = Run(new ClaudeStream(), 1, ClaudeInit,
            """{"type":"result","subtype":"success","is_error":true,"result":"API Error: 429 rate_limit_error: usage limit reached, resets at 2031-01-02T03:04:05Z","session_id":"s-1"}""");

        var failure = verdict.Failure.ShouldNotBeNull();
        failure.Class.ShouldBe(FailureClass.RateLimited);
        failure.RetryAt.ShouldBe(new DateTimeOffset(2031, 1, 2, 3, 4, 5, TimeSpan.Zero));
    }

    [Fact]
    public void Claude_AskUserQuestion_IsAQuestionNotAFailure()
    {
        var verdict = Run(new ClaudeStream(), 0, ClaudeInit,
            """{"type":"assistant","message":{"content":[{"type":"tool_use","id":"t1","name":"AskUserQuestion","input":{"questions":[{"question":"Which database: sqlite or postgres?","options":[]}]}}]}}""");

        verdict.Question.ShouldBe("Which database: sqlite or postgres?");
        verdict.Failure.ShouldBeNull();
    }

    [Fact]
    public void Claude_UnknownModelPrices_CostIsUnknownNotZero()
    {
        var verdict = Run(new ClaudeStream(), 0, ClaudeInit,
            """{"type":"result","subtype":"success","is_error":false,"result":"done","total_cost_usd":0,"modelUsage":{"my-model":{"inputTokens":100,"outputTokens":7,"cacheReadInputTokens":0,"cacheCreationInputTokens":20,"costUSD":0,"costBasis":"unknown"}}}""");

        var usage = verdict.Usage.ShouldNotBeNull();
        usage.CostUsd.ShouldBeNull();
        usage.Model.ShouldBe("my-model");
        usage.ToRecord().ShouldBe(new UsageRecord(100, 0, 7, 0m, "unknown", "my-model") { CacheWriteTokens = 20 });
    }

    [Fact]
    public void Codex_TurnFailedUnauthorized_IsAuth()
    {
        var verdict = Run(new CodexStream(), 1,
            """{"type":"thread.started","thread_id":"th-1"}""",
            """{"type":"turn.started"}""",
            """{"type":"turn.failed","error":{"message":"unexpected status 401 Unauthorized: invalid api key"}}""");

        verdict.Failure.ShouldNotBeNull().Class.ShouldBe(FailureClass.Auth);
        verdict.SessionId.ShouldBe("th-1");
    }

    [Fact]
    public void Codex_Http500HighDemand_IsAModelError()
    {
        var verdict = Run(new CodexStream(), 1,
            """{"type":"thread.started","thread_id":"th-1"}""",
            """{"type":"error","message":"We're currently experiencing high demand, which may cause temporary errors."}""",
            """{"type":"turn.failed","error":{"message":"We're currently experiencing high demand, which may cause temporary errors."}}""");

        verdict.Failure.ShouldNotBeNull().Class.ShouldBe(FailureClass.ModelError);
    }

    [Fact]
    public void Codex_UsageIsCumulative_TheLastTurnWinsNotTheSum()
    {
        var verdict = Run(new CodexStream(), 0,
            """{"type":"turn.completed","usage":{"input_tokens":1000,"cached_input_tokens":600,"output_tokens":40,"reasoning_output_tokens":10}}""",
            """{"type":"item.completed","item":{"id":"i1","type":"agent_message","text":"ok"}}""",
            """{"type":"turn.completed","usage":{"input_tokens":2500,"cached_input_tokens":2100,"output_tokens":90,"reasoning_output_tokens":30}}""");

        var usage = verdict.Usage.ShouldNotBeNull();
        (usage.Input, usage.CachedInput, usage.Output, usage.Reasoning).ShouldBe((400L, 2100L, 90L, 30L));
    }

    [Fact]
    public void Codex_ExitZeroWithoutAnyFinalMessage_IsNotSuccess()
    {
        var verdict = Run(new CodexStream(), 0,
            """{"type":"thread.started","thread_id":"th-1"}""",
            """{"type":"turn.completed","usage":{"input_tokens":0,"cached_input_tokens":0,"output_tokens":0}}""");

        verdict.Failure.ShouldNotBeNull().Class.ShouldBe(FailureClass.ModelError);
        verdict.Failure.Reason.ShouldContain("without a final message");
        verdict.Usage.ShouldNotBeNull().IsZero.ShouldBeTrue();
    }

    [Fact]
    public void OpenCode_ContextLengthError_IsContextLimit()
    {
        var verdict = Run(new OpenCodeStream(), 1,
            """{"type":"step_start","sessionID":"ses_1","part":{}}""",
            """{"type":"error","sessionID":"ses_1","error":{"name":"APIError","data":{"message":"This model's maximum context length is 128000 tokens"}}}""");

        verdict.Failure.ShouldNotBeNull().Class.ShouldBe(FailureClass.ContextLimit);
    }

    [Fact]
    public void OpenCode_InsufficientQuota_IsQuotaExhausted()
    {
        var verdict = Run(new OpenCodeStream(), 1,
            """{"type":"error","error":{"name":"APIError","data":{"message":"429 You exceeded your current quota (insufficient_quota)"}}}""");

        verdict.Failure.ShouldNotBeNull().Class.ShouldBe(FailureClass.QuotaExhausted);
    }

    [Fact]
    public void Qwen_ErrorDuringExecution_FailsEvenWithExitZero()
    {
        var verdict = Run(new QwenStream(), 0,
            """{"type":"system","subtype":"init","session_id":"q-1","model":"m"}""",
            """{"type":"result","subtype":"error_during_execution","is_error":true,"result":"Request failed with status 500","usage":{"input_tokens":0,"output_tokens":0}}""");

        verdict.Failure.ShouldNotBeNull().Class.ShouldBe(FailureClass.ModelError);
    }

    [Fact]
    public void AnyStream_PlainAndMalformedLines_AreIgnoredNotFatal()
    {
        var stream = new ClaudeStream();

        stream.Read("warning: something on stdout").ShouldBeNull();
        stream.Read("{not json").ShouldBeNull();
        stream.Read("[1,2]").ShouldBeNull();
        stream.Read("").ShouldBeNull();
        stream.Read("""{"type":"assistant","message":{"content":[{"type":"text","text":"all good"}]}}""").ShouldBe("says: all good");
        stream.Finish(0, null).Failure.ShouldBeNull();
    }

    [Fact]
    public void AnyStream_NonZeroExitWithRateLimitOnStderr_IsRateLimited()
    {
        var stream = new CodexStream();
        stream.Read("""{"type":"item.completed","item":{"id":"i1","type":"agent_message","text":"partial"}}""");

        stream.Finish(1, "Error: 429 Too Many Requests; retry after 20s").Failure.ShouldNotBeNull().Class.ShouldBe(FailureClass.RateLimited);
    }
}
