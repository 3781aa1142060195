namespace Drover.Server.Trackers;

/// <summary>
/// What one tracker pass did: issues the forge listed, and their jobs submitted, updated (spec replaced), unchanged
/// (same spec, or already started), cancelled (closed issue, job still queued) or rejected (bad spec); or the error.
/// </summary>
public sealed record TrackerSyncView(
    string Tracker,
    DateTimeOffset At,
    int Seen,
    int Submitted,
    int Updated,
    int Unchanged,
    int Cancelled,
    int Rejected,
    string? Error);

/// <summary>A configured tracker with its forge, poll interval and last pass (in this serve), for <c>drover tracker ls</c>.</summary>
public sealed record TrackerView(
    string Tracker,
    string Kind,
    string Repo,
    string Label,
    string Path,
    string? Host,
    string Poll,
    TrackerSyncView? Last);
