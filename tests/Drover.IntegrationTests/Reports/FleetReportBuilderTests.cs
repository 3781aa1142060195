using Drover.Core.Configuration;
using Drover.Core.Storage;
using Drover.Server.Reports;
using static Drover.IntegrationTests.Reports.ReportFixture;

namespace Drover.IntegrationTests.Reports;

/// <summary>The report's rules on hand-made events, worker rows and attempts.</summary>
public sealed class FleetReportBuilderTests
{
    private const double Tolerance = 0.0001;

    private static ReportDay Day(FleetReport r, int day) => r.Days.Single(d => d.Date == $"2030-01-{day:00}");

    [Fact]
    public void Build_OneWorkerUpAllWindow_UptimeIsFullEveryDay_TodayCountedUpToNow()
    {
        var r = OneWorkerAllWindow().Build();

        r.From.ShouldBe(From);
        r.To.ShouldBe(Now);
        r.Days.Count.ShouldBe(30);
        r.Days.ShouldAllBe(d => d.Covered && d.Uptime == 1.0 && d.AtTarget);
        r.Overall.Uptime.ShouldBe(1.0);
        r.Overall.DaysAtTarget.ShouldBe(30);
        r.Overall.DaysCounted.ShouldBe(30);
        Day(r, 30).CoveredS.ShouldBe(12 * 3600);
        Day(r, 29).AvailableS.ShouldBe(2 * 86400, "two slots all day");
        r.Workers.ShouldHaveSingleItem().ShouldBe(new ReportWorker("w1", "h1", 1.0, 0, (29 * 86400 + 43200) * 2, 0, 0));
    }

    [Fact]
    public void Build_WorkerLostForTwoHours_ThatDayIs22Of24_LossAndRecoveryCounted()
    {
        // Died at its last heartbeat 12:00 (lost noticed 30 s later), registered again under its name at 14:00.
        var r = OneWorkerAllWindow().Lost("w1", Jan(10, 12).AddSeconds(30)).Started("w1", Jan(10, 14)).Build();

        var day = Day(r, 10);
        day.Uptime!.Value.ShouldBe(22.0 / 24, Tolerance);
        day.UpS.ShouldBe(22 * 3600);
        day.AtTarget.ShouldBeFalse();
        day.WorkerLosses.ShouldBe(1);
        day.MttrS.ShouldBe(7200);
        Day(r, 9).Uptime.ShouldBe(1.0);
        Day(r, 11).Uptime.ShouldBe(1.0);
        r.Overall.WorkerLosses.ShouldBe(1);
        r.Overall.RecoveredLosses.ShouldBe(1);
        r.Overall.MttrS.ShouldBe(7200);
        r.Overall.DaysAtTarget.ShouldBe(29);
        r.Workers.Single().Losses.ShouldBe(1);
        r.Gate.Missing.ShouldContain("1 day below 95% uptime: 2030-01-10 91.7%");
    }

    [Fact]
    public void Build_WorkerKilledAndFoundLostAtItsRestart_DownFromItsLastHeartbeat_LossAndMttrCounted()
    {
        // SIGKILLed after its 12:00 heartbeat, nothing reaped it; it registered again at 12:12, which found the loss
        // (the lost event is written then and records the last heartbeat).
        var r = OneWorkerAllWindow()
            .Event("worker.lost", Jan(10, 12.2), "w1", """{"timeout_s":5,"last_heartbeat_at":"2030-01-10T12:00:00+00:00","found":"restart"}""")
            .Started("w1", Jan(10, 12.2))
            .Build();

        var day = Day(r, 10);
        day.UpS.ShouldBe(24 * 3600 - 720, Tolerance);
        day.Uptime!.Value.ShouldBeLessThan(1.0);
        day.WorkerLosses.ShouldBe(1);
        day.MttrS!.Value.ShouldBe(720, Tolerance);
        r.Overall.RecoveredLosses.ShouldBe(1);
    }

    [Fact]
    public void Build_LossNeverRecovered_CountedButNotInMttr_UptimeDropsToZero()
    {
        var r = new ReportFixture().Started("w1", From).Lost("w1", Jan(30, 6).AddSeconds(60), timeoutS: 60).Row("w1", "lost", From, Jan(30, 6)).Build();

        Day(r, 30).Uptime.ShouldBe(0.5);
        r.Overall.WorkerLosses.ShouldBe(1);
        r.Overall.RecoveredLosses.ShouldBe(0);
        r.Overall.MttrS.ShouldBeNull();
    }

    [Fact]
    public void Build_TwoOverlappingWorkers_UptimeIsTheUnion_AvailableSumsEachWorkersSlots()
    {
        // w1 (2 slots) stops at 14:00 on the 5th; w2 (1 slot) registered at 10:00 the same day runs on.
        var r = new ReportFixture()
            .Started("w1", From).Stopped("w1", Jan(5, 14)).Row("w1", "stopped", From, Jan(5, 14))
            .Started("w2", Jan(5, 10), slots: 1, host: "h2").Row("w2", "busy", Jan(5, 10), slots: 1, host: "h2")
            .Build();

        Day(r, 5).Uptime.ShouldBe(1.0);
        Day(r, 5).AvailableS.ShouldBe((14 * 2 + 14) * 3600);
        Day(r, 6).AvailableS.ShouldBe(86400);
        r.Overall.Uptime.ShouldBe(1.0);
        r.Workers.Select(w => (w.Name, w.Host)).ShouldBe([("w1", "h1"), ("w2", "h2")]);
        r.Workers[0].Uptime!.Value.ShouldBe((4 * 86400 + 14 * 3600) / (29.5 * 86400), Tolerance);
    }

    [Fact]
    public void Build_GapBetweenWorkers_IsDowntime()
    {
        var r = new ReportFixture()
            .Started("w1", From).Stopped("w1", Jan(3, 6)).Row("w1", "stopped", From, Jan(3, 6))
            .Started("w2", Jan(3, 18)).Row("w2", "idle", Jan(3, 18))
            .Build();

        Day(r, 3).Uptime.ShouldBe(0.5);
        Day(r, 3).WorkerLosses.ShouldBe(0, "a graceful stop is not a loss");
    }

    [Fact]
    public void Build_PausedInterval_IsNotUptime_ButSlotsStayAvailable()
    {
        var r = OneWorkerAllWindow().Event("fleet.paused", Jan(3, 6)).Event("fleet.resumed", Jan(3, 12)).Build();

        Day(r, 3).Uptime.ShouldBe(0.75);
        Day(r, 3).AvailableS.ShouldBe(2 * 86400);
        r.Workers.Single().Uptime.ShouldBe(1.0, "the worker itself stayed live");
    }

    [Fact]
    public void Build_PausedBeforeTheWindowAndStillPaused_NoUptimeAtAll()
    {
        var f = OneWorkerAllWindow();
        f.Fleet = new FleetState(true, From.AddDays(-3));

        f.Build().Overall.Uptime.ShouldBe(0);
    }

    [Fact]
    public void Build_ResumedInTheWindow_PausedFromTheWindowStartUntilThen()
    {
        var r = OneWorkerAllWindow().Event("fleet.resumed", Jan(1, 12)).Build();

        Day(r, 1).Uptime.ShouldBe(0.5);
        Day(r, 2).Uptime.ShouldBe(1.0);
    }

    [Fact]
    public void Build_Attempts_CapacityIsBusyOverAvailableSlotTime_SpendOnTheDayTheyEnd()
    {
        var r = OneWorkerAllWindow()
            .Attempt("w1", Jan(2, 0), Jan(2, 6), cost: 1.5m)
            .Attempt("w1", Jan(2, 20), Jan(3, 2), cost: 0.25m)
            .Attempt("w1", Jan(30, 10), null, state: "running")
            .Gateway(2, 4m)
            .Build();

        Day(r, 2).BusyS.ShouldBe(10 * 3600);
        Day(r, 2).Capacity!.Value.ShouldBe(10.0 / 48, Tolerance);
        Day(r, 3).BusyS.ShouldBe(2 * 3600);
        Day(r, 2).SpendUsd.ShouldBe(1.5m);
        Day(r, 3).SpendUsd.ShouldBe(0.25m);
        Day(r, 2).GatewaySpendUsd.ShouldBe(4m);
        Day(r, 30).BusyS.ShouldBe(2 * 3600, "a running attempt counts up to now");
        r.Overall.BusyS.ShouldBe(14 * 3600);
        r.Overall.SpendUsd.ShouldBe(1.75m);
        r.Overall.GatewaySpendUsd.ShouldBe(4m);
        r.Workers.Single().BusyS.ShouldBe(14 * 3600);
    }

    [Fact]
    public void Build_JobOutcomeEvents_CountedByDayWithFailureClasses()
    {
        var r = OneWorkerAllWindow()
            .Event("job.succeeded", Jan(4, 1)).Event("job.approved", Jan(4, 2))
            .Event("job.failed", Jan(4, 3), data: """{"class":"timeout"}""").Event("job.failed", Jan(4, 4), data: """{"class":"timeout"}""")
            .Event("job.rejected", Jan(4, 5), data: """{"class":"unknown"}""").Event("job.cancelled", Jan(5, 1))
            .Build();

        Day(r, 4).Jobs.ShouldBe(new ReportJobs(2, 3, 0));
        Day(r, 4).FailureClasses.ShouldBe(new Dictionary<string, long> { ["timeout"] = 2, ["unknown"] = 1 });
        Day(r, 5).Jobs.ShouldBe(new ReportJobs(0, 0, 1));
        r.Overall.Jobs.ShouldBe(new ReportJobs(2, 3, 1));
    }

    [Fact]
    public void Build_HistoryStartsMidWindow_EarlierDaysNotCovered_ItsFirstDayMeasuredFromThen_GateSaysHowMany()
    {
        var f = new ReportFixture().Started("w1", Jan(11, 8), slots: 1).Row("w1", "idle", Jan(11, 8), slots: 1).Attempt("w1", Jan(12), Jan(30, 12));
        f.HistoryStart = Jan(11, 8);

        var r = f.Build();

        r.Days.Count(d => !d.Covered).ShouldBe(10, "the 1st to the 10th: history began during the 11th");
        Day(r, 10).Uptime.ShouldBeNull();
        Day(r, 11).Uptime.ShouldBe(1.0, "measured from 08:00, when history began");
        Day(r, 11).CoveredS.ShouldBe(16 * 3600);
        r.Overall.DaysCounted.ShouldBe(20);
        r.Overall.Uptime.ShouldBe(1.0);
        r.Gate.Ready.ShouldBeFalse();
        r.Gate.Missing.ShouldBe(["20 of 30 days covered, history starts 2030-01-11"]);
    }

    [Fact]
    public void Build_LiveRowWithStaleHeartbeat_CountsDownSinceTheLastHeartbeat()
    {
        var r = new ReportFixture().Started("w1", From).Row("w1", "busy", From, lastHeartbeat: Jan(30, 6)).Build(staleAfter: TimeSpan.FromMinutes(1));

        Day(r, 30).Uptime.ShouldBe(0.5);
    }

    [Fact]
    public void Build_WorkerStartedBeforeTheWindow_NoEventsInIt_LiveFromTheWindowStart()
    {
        var f = new ReportFixture().Row("w1", "idle", From.AddDays(-40));
        f.HistoryStart = From.AddDays(-40);

        f.Build().Overall.Uptime.ShouldBe(1.0);
    }

    [Fact]
    public void Build_AllDaysAtTargetAndBusyEnough_GateReady()
    {
        // One slot busy the whole window: capacity 100 %.
        var f = new ReportFixture().Started("w1", From, slots: 1).Row("w1", "busy", From, slots: 1).Attempt("w1", From, null, state: "running");

        var r = f.Build();

        r.Overall.Capacity.ShouldBe(1.0);
        r.Gate.Ready.ShouldBeTrue();
        r.Gate.Line.ShouldBe("Next phase: READY");
        r.Gate.Missing.ShouldBeEmpty();
    }

    [Fact]
    public void Build_UpAllWindowButIdle_GateNotReadyOnCapacityOnly()
    {
        var r = OneWorkerAllWindow().Attempt("w1", Jan(5), Jan(6)).Build();

        r.Gate.Ready.ShouldBeFalse();
        r.Gate.Missing.ShouldBe(["capacity 1.7% below 60%"]);
        r.Gate.Line.ShouldBe("Next phase: NOT READY (capacity 1.7% below 60%)");
    }

    [Fact]
    public void Build_FewerDaysThanTheTarget_GateNotReadyEvenWhenEveryDayIsPerfect()
    {
        var f = new ReportFixture().Started("w1", From, slots: 1).Row("w1", "busy", From, slots: 1).Attempt("w1", From, null, state: "running");
        f.Targets = new ReportConfig { Days = 30 };

        var r = f.Build(days: 7);

        r.Overall.DaysCounted.ShouldBe(7);
        r.Gate.Line.ShouldBe("Next phase: NOT READY (7 of 30 days covered, history starts 2030-01-01)");
    }

    [Fact]
    public void Build_NoHistoryAtAll_NothingCovered_GateNotReady()
    {
        var f = new ReportFixture { HistoryStart = null };

        var r = f.Build();

        r.Overall.DaysCounted.ShouldBe(0);
        r.Overall.Uptime.ShouldBeNull();
        r.Gate.Missing.ShouldBe(["0 of 30 days covered, no history yet", "capacity unknown: no worker slot time in the window"]);
    }

    [Fact]
    public void Render_Markdown_HasTheDayTableOverallWorkersAndGate()
    {
        var r = OneWorkerAllWindow().Lost("w1", Jan(10, 12).AddSeconds(30)).Started("w1", Jan(10, 14)).Build();

        var md = ReportMarkdown.Render(r);

        md.ShouldContain("| date | uptime | capacity | at target | succeeded | failed | cancelled | losses | MTTR | spend |");
        md.ShouldContain("| 2030-01-10 | 91.7% | 0% | no | 0 | 0 | 0 | 1 | 2.0 h | $0.00 |");
        md.ShouldContain("| w1 | h1 |");
        md.TrimEnd().ShouldEndWith(r.Gate.Line);
    }
}
