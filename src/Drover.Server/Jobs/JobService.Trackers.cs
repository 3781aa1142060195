using Drover.Core;
using Drover.Server.Trackers;

namespace Drover.Server.Jobs;

public sealed partial class JobService
{
    /// <summary>The tracker poller of this process; null when drover.toml has no <c>[[trackers]]</c>.</summary>
    public TrackerPoller? TrackerPoller { get; set; }

    /// <summary><c>drover tracker sync</c>: one pass over every tracker now.</summary>
    public async Task<IReadOnlyList<TrackerSyncView>> SyncTrackersAsync(CancellationToken ct) =>
        await (TrackerPoller ?? throw new ConflictException("no [[trackers]] in drover.toml: add one to take issues from a forge")).SyncAllAsync(ct);

    /// <summary>Every configured tracker with its last pass in this process.</summary>
    public Task<IReadOnlyList<TrackerView>> TrackersAsync(CancellationToken ct) =>
        Task.FromResult(TrackerPoller?.List() ?? []);
}
