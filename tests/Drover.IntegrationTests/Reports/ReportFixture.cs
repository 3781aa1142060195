using Drover.Core.Configuration;
using Drover.Core.Jobs;
using Drover.Core.Storage;
using Drover.Server.Reports;

namespace Drover.IntegrationTests.Reports;

/// <summary>Hand-made report inputs: events, worker rows and attempts over a 30-day window ending 2030-01-30 12:00 UTC.</summary>
internal sealed class ReportFixture
{
    public static readonly DateTimeOffset From = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset Now = new(2030, 1, 30, 12, 0, 0, TimeSpan.Zero);

    private readonly List<EventRecord> _events = [];
    private readonly List<WorkerRecord> _workers = [];
    private readonly List<AttemptSpanRecord> _attempts = [];
    private readonly Dictionary<DateOnly, decimal> _gateway = [];

    public DateTimeOffset? HistoryStart { get; set; } = From;
    public FleetState Fleet { get; set; } = new(false, null);
    public ReportConfig Targets { get; set; } = new();

    /// <summary>Day <paramref name="day"/> of January 2030 at <paramref name="hour"/> UTC.</summary>
    public static DateTimeOffset Jan(int day, double hour = 0) => From.AddDays(day - 1).AddHours(hour);

    public ReportFixture Event(string type, DateTimeOffset at, string? worker = null, string data = "{}")
    {
        _events.Add(new EventRecord(_events.Count + 1, at, type, null, worker, data));
        return this;
    }

    public ReportFixture Started(string name, DateTimeOffset at, int slots = 2, string host = "h1") =>
        Event("worker.started", at, name, $$"""{"host":"{{host}}","pid":7,"slots":{{slots}}}""");

    public ReportFixture Lost(string name, DateTimeOffset at, double timeoutS = 30) =>
        Event("worker.lost", at, name, $$"""{"timeout_s":{{timeoutS}}}""");

    public ReportFixture Stopped(string name, DateTimeOffset at) => Event("worker.stopped", at, name);

    public ReportFixture Row(string name, string state, DateTimeOffset startedAt, DateTimeOffset? lastHeartbeat = null, int slots = 2, string host = "h1")
    {
        _workers.Add(new WorkerRecord
        {
            Name = name,
            Host = host,
            Pid = 7,
            State = state,
            Slots = slots,
            StartedAt = startedAt,
            LastHeartbeatAt = lastHeartbeat ?? Now,
        });
        return this;
    }

    public ReportFixture Attempt(string worker, DateTimeOffset start, DateTimeOffset? end, string state = "succeeded", string? cls = null, decimal cost = 0m)
    {
        _attempts.Add(new AttemptSpanRecord(_attempts.Count + 1, 1, worker, start, end, state, cls, cost));
        return this;
    }

    public ReportFixture Gateway(int day, decimal usd)
    {
        _gateway[DateOnly.FromDateTime(Jan(day).UtcDateTime)] = usd;
        return this;
    }

    /// <summary>One worker, w1 with 2 slots, live from the window's start to now.</summary>
    public static ReportFixture OneWorkerAllWindow() => new ReportFixture().Started("w1", From).Row("w1", "idle", From);

    public FleetReport Build(int days = 30, TimeSpan? staleAfter = null) =>
        FleetReportBuilder.Build(new FleetReportInputs(
            Now, days, Targets, _events, _workers, Fleet, _attempts, HistoryStart, _gateway, staleAfter ?? TimeSpan.FromSeconds(30)));
}
