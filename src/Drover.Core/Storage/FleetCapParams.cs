namespace Drover.Core.Storage;

/// <param name="MaxRunning">Running jobs allowed fleet-wide; 0: no cap.</param>
public sealed record FleetMaxRunningParams(int MaxRunning, DateTimeOffset Now);

public sealed record EngineResumeParams(string Engine, DateTimeOffset Now);
