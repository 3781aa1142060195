using Drover.Core;
using Drover.Core.Storage;

namespace Drover.Server.Jobs;

public sealed partial class JobService
{
    /// <summary>`drover resume --engine NAME`: clears the engine's failure-rate breaker and usage-limit gate.</summary>
    public async Task<bool> ResumeEngineAsync(string engine, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(engine))
            throw new JobSpecException("engine", "engine must name an engine, e.g. claude");
        return await _store.EngineResumeAsync(new EngineResumeParams(engine.Trim(), _time.GetUtcNow()), ct);
    }
}

/// <summary>The answer to <c>POST /api/fleet/resume</c> with an engine: whether a breaker or gate held it.</summary>
public sealed record EngineResumeView(string Engine, bool Resumed);
