using Drover.Core.Configuration;
using Drover.Core.Secrets;
using Drover.Core.Storage;
using Drover.Server.Forges;
using Drover.Server.Jobs;
using Drover.Server.Webhooks;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Trackers;

/// <summary>
/// The tracker machinery of one process: forge clients, the poller (also behind <c>drover tracker sync</c>) and, in
/// <c>serve</c>, the status echo. Nothing is built without <c>[[trackers]]</c>.
/// </summary>
public sealed class TrackerHosting : IDisposable
{
    private readonly ForgeClients _forges;
    private readonly bool _ownsForges;
    private readonly DroverConfig _config;
    private readonly IJobStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    private TrackerHosting(DroverConfig config, IJobStore store, JobService jobs, string secretsPath, TimeProvider time, ILogger logger, ForgeClients? forges)
    {
        _config = config;
        _store = store;
        _time = time;
        _logger = logger;
        _ownsForges = forges is null;
        _forges = forges ?? new ForgeClients(config.Forges, new SecretStore(secretsPath), time);
        Poller = new TrackerPoller(config.Trackers, _forges, new IssueIntake(jobs, config.Trackers, time, logger), time, logger);
        jobs.TrackerPoller = Poller;
    }

    public TrackerPoller Poller { get; }

    /// <summary>
    /// Builds the poller and hands it to <paramref name="jobs"/>; null when no tracker is configured. With
    /// <paramref name="forges"/> the process's forge clients are shared (delivery uses them too, so one rate limit).
    /// </summary>
    public static TrackerHosting? Create(DroverConfig? config, IJobStore store, JobService jobs, string secretsPath, TimeProvider time, ILogger logger, ForgeClients? forges = null)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        return config is { Trackers.Count: > 0 } ? new TrackerHosting(config, store, jobs, secretsPath, time, logger, forges) : null;
    }

    /// <summary>The poll and echo loops of a serve, until <paramref name="ct"/> stops.</summary>
    public Task RunAsync(string holder, CancellationToken ct) =>
        Task.WhenAll(
            Poller.RunAsync(ct),
            new StatusEcho(_store, _forges, _config.Trackers, _time, _logger, holder).RunAsync(ct));

    public void Dispose()
    {
        Poller.Dispose();
        if (_ownsForges)
            _forges.Dispose();
    }
}
