namespace Drover.Core.Storage;

/// <summary>
/// Takes or renews the status-echo lease (SPEC §12): one <c>serve</c> of a fleet echoes job events to issue trackers at
/// a time. <see cref="InitialCursor"/> is where the echo starts when it never ran (the newest event, so history is not
/// replayed onto issues). Returns the event id echoed so far, or null while another holder's lease runs.
/// </summary>
public sealed record ForgeEchoAcquireParams(string Holder, long InitialCursor, DateTimeOffset Now, DateTimeOffset LeaseUntil);

/// <summary>
/// Moves the echo's cursor to <see cref="Cursor"/> (events up to it are echoed) and renews the lease; false when
/// <see cref="Holder"/> no longer holds it (nothing is written).
/// </summary>
public sealed record ForgeEchoAdvanceParams(string Holder, long Cursor, DateTimeOffset LeaseUntil);
