using System.Collections.Concurrent;
using System.Diagnostics;
using Drover.Core.Storage;
using Drover.Engines.Attempts;

namespace Drover.Cli.Bench;

/// <summary>An attempt runner that does nothing but note when each job started (Stopwatch ticks, CLOCK_MONOTONIC).</summary>
public sealed class NoopRunner : IAttemptRunner
{
    public ConcurrentDictionary<long, long> StartedAt { get; } = new();

    public Action<long, long>? OnStart { get; init; }

    public Task<AttemptReport> RunAsync(AttemptContext context, CancellationToken abort)
    {
        var now = Stopwatch.GetTimestamp();
        StartedAt[context.Job.Id] = now;
        OnStart?.Invoke(context.Job.Id, now);
        return Task.FromResult(new AttemptReport(AttemptOutcome.Success(), new AttemptResult(ExitCode: 0, EngineRan: true), false));
    }
}
