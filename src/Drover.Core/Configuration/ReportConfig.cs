namespace Drover.Core.Configuration;

/// <summary><c>[report]</c>: the targets <c>drover report</c> measures the fleet against, and its default window.</summary>
public sealed record ReportConfig
{
    /// <summary>A day is "at target" when the fleet could take work at least this share of it (0..1).</summary>
    public double UptimeTarget { get; init; } = 0.95;

    /// <summary>Busy slot time over available slot time the window must reach (0..1).</summary>
    public double CapacityTarget { get; init; } = 0.60;

    /// <summary>Days the report covers by default, and days of history the gate needs.</summary>
    public int Days { get; init; } = 30;
}
