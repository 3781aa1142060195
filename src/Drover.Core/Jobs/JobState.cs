namespace Drover.Core.Jobs;

/// <summary>The lifecycle states of SPEC §4. Stored and printed lower-case.</summary>
public enum JobState
{
    Queued,
    Running,
    Blocked,
    Succeeded,
    Failed,
    Cancelled,
}

public static class JobStates
{
    public static string ToWire(this JobState state) => state switch
    {
        JobState.Queued => "queued",
        JobState.Running => "running",
        JobState.Blocked => "blocked",
        JobState.Succeeded => "succeeded",
        JobState.Failed => "failed",
        JobState.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    public static bool TryParse(string? text, out JobState state)
    {
        switch (text)
        {
            case "queued": state = JobState.Queued; return true;
            case "running": state = JobState.Running; return true;
            case "blocked": state = JobState.Blocked; return true;
            case "succeeded": state = JobState.Succeeded; return true;
            case "failed": state = JobState.Failed; return true;
            case "cancelled": state = JobState.Cancelled; return true;
            default: state = default; return false;
        }
    }

    public static JobState Parse(string text) =>
        TryParse(text, out var s) ? s : throw new FormatException($"unknown job state '{text}'");

    public static bool IsTerminal(this JobState state) =>
        state is JobState.Succeeded or JobState.Failed or JobState.Cancelled;
}
