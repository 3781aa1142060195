using Drover.Core.Configuration;
using Drover.Core.Gateway;
using Drover.Core.Jobs;
using Drover.Core.Storage;
using Drover.Engines.Agents;
using Drover.Engines.Attempts;
using static Drover.Engines.Tests.Attempts.AttemptHarness;

namespace Drover.Engines.Tests.Attempts;

/// <summary>
/// What an attempt gets from the gateway (the variables the official clients read) and from the job's budgets
/// (the engine stopped once its own reported usage goes over).
/// </summary>
public sealed class ShellAttemptRunnerGatewayTests : IDisposable
{
    private const string Secret = "home-token-for-tests";
    private readonly AttemptHarness _h = new();

    private static GatewayAccess Gateway => new(() => "http://127.0.0.1:8731", Secret, new HashSet<string>(StringComparer.Ordinal) { "openai", "anthropic" });

    [Fact]
    public async Task GatewayOn_ShellAttempt_GetsTheOfficialClientVariablesWithItsKey_TheJobsEnvWins()
    {
        _h.Runner = new ShellAttemptRunner(gateway: Gateway);

        var report = await _h.RunAsync(Shell("env > env.txt", $"\"repo\": {Quote(_h.Plain)}, \"env\": {{\"ANTHROPIC_BASE_URL\": \"http://127.0.0.1:9999\"}}"));

        report.Outcome.Kind.ShouldBe(AttemptOutcomeKind.Succeeded, report.Outcome.Reason);
        var env = EnvFile();
        var key = JobKeys.Mint(Secret, 1, 1);
        env["DROVER_GATEWAY_KEY"].ShouldBe(key);
        env["OPENAI_BASE_URL"].ShouldBe("http://127.0.0.1:8731/v1", "the OpenAI SDK appends /chat/completions");
        env["OPENAI_API_KEY"].ShouldBe(key);
        env["ANTHROPIC_API_KEY"].ShouldBe(key);
        env["ANTHROPIC_BASE_URL"].ShouldBe("http://127.0.0.1:9999", "a job's env overrides the gateway's defaults");
    }

    [Fact]
    public async Task GatewayOn_CustomEngineKeptOffTheGateway_GetsNoClientVariables()
    {
        var tool = new CustomEngineDriver("mytool", new EngineConfig { Command = ["/bin/sh", "-c", "env > env.txt"], Gateway = false });
        _h.Runner = new ShellAttemptRunner(drivers: [tool], gateway: Gateway);

        var report = await _h.RunAsync(await _h.SpecAsync($"{{\"engine\": \"mytool\", \"prompt\": \"p\", \"repo\": {Quote(_h.Plain)}}}"));

        report.Outcome.Kind.ShouldBe(AttemptOutcomeKind.Succeeded, report.Outcome.Reason);
        var env = EnvFile();
        var key = JobKeys.Mint(Secret, 1, 1);
        env["DROVER_GATEWAY_KEY"].ShouldBe(key);
        env.GetValueOrDefault("OPENAI_API_KEY").ShouldNotBe(key);
        env.GetValueOrDefault("ANTHROPIC_API_KEY").ShouldNotBe(key);
    }

    [Fact]
    public async Task BudgetUsedUp_BeforeTheEngineStarts_FailsBudgetExhaustedWithoutRunningIt()
    {
        _h.Sink.Budget = usage => usage is null ? new BudgetStop("budget job:1 of $0.05: $0.05 spent") : null;

        var report = await _h.RunAsync(Shell("touch ran.txt", $"\"repo\": {Quote(_h.Plain)}"));

        report.Outcome.Class.ShouldBe(FailureClass.BudgetExhausted);
        report.Outcome.Reason.ShouldBe("budget job:1 of $0.05: $0.05 spent");
        File.Exists(Path.Combine(_h.Plain, "ran.txt")).ShouldBeFalse();
    }

    [Fact]
    public async Task DailyBudgetUsedUp_BeforeTheEngineStarts_ReleasedUntilItRenewsNotFailed()
    {
        var tomorrow = new DateTimeOffset(DateTime.UtcNow.Date.AddDays(1), TimeSpan.Zero);
        _h.Sink.Budget = usage => usage is null ? new BudgetStop("budget day:today of $1: $1 spent", tomorrow) : null;

        var report = await _h.RunAsync(Shell("touch ran.txt", $"\"repo\": {Quote(_h.Plain)}"));

        report.Outcome.Kind.ShouldBe(AttemptOutcomeKind.Released);
        report.Outcome.Class.ShouldBe(FailureClass.BudgetExhausted);
        report.Outcome.NotBefore.ShouldBe(tomorrow);
        File.Exists(Path.Combine(_h.Plain, "ran.txt")).ShouldBeFalse();
    }

    [Fact]
    public async Task ReportedUsage_OverTheBudget_KillsTheEngineBudgetExhausted()
    {
        _h.Sink.Budget = usage => usage is { CostUsd: > 0.05m } ? new BudgetStop("budget job:1 of $0.05: over") : null;
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var report = await _h.RunAsync(Shell(
            "i=0; while [ $i -lt 100 ]; do i=$((i+1)); echo 'DROVER_USAGE {\"input_tokens\":1,\"output_tokens\":1,\"cost_usd\":0.01}'; sleep 0.1; done; touch finished.txt",
            $"\"repo\": {Quote(_h.Plain)}"));

        report.Outcome.Class.ShouldBe(FailureClass.BudgetExhausted);
        report.Aborted.ShouldBeFalse();
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
        report.Result.Usage!.CostUsd.ShouldBeInRange(0.06m, 0.1m);
        File.Exists(Path.Combine(_h.Plain, "finished.txt")).ShouldBeFalse();
    }

    private Dictionary<string, string> EnvFile() =>
        File.ReadAllLines(Path.Combine(_h.Plain, "env.txt"))
            .Where(l => l.Contains('=', StringComparison.Ordinal))
            .Select(l => l.Split('=', 2))
            .GroupBy(p => p[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last()[1], StringComparer.Ordinal);

    public void Dispose() => _h.Dispose();
}
