using Drover.Core.Schedules;

namespace Drover.Core.Tests.Schedules;

public sealed class CronTimetableTests
{
    [Fact]
    public void Next_BerlinSpringForward_SkippedHourFiresAtTheTransition()
    {
        // 2026-03-29: Berlin clocks jump from 02:00 CET to 03:00 CEST; 02:30 local does not exist that day.
        var table = CronTimetable.Parse("30 2 * * *", "Europe/Berlin");

        var next = table.Next(new DateTimeOffset(2026, 3, 28, 12, 0, 0, TimeSpan.Zero))!.Value;
        var after = table.Next(next)!.Value;

        next.ShouldBe(new DateTimeOffset(2026, 3, 29, 1, 0, 0, TimeSpan.Zero));
        after.ShouldBe(new DateTimeOffset(2026, 3, 30, 0, 30, 0, TimeSpan.Zero));
    }

    [Fact]
    public void Next_BerlinFallBack_RepeatedHourFiresOnce()
    {
        // 2026-10-25: 03:00 CEST becomes 02:00 CET; 02:30 local happens twice and must fire once.
        var table = CronTimetable.Parse("30 2 * * *", "Europe/Berlin");

        var first = table.Next(new DateTimeOffset(2026, 10, 24, 12, 0, 0, TimeSpan.Zero))!.Value;
        var second = table.Next(first)!.Value;

        first.ShouldBe(new DateTimeOffset(2026, 10, 25, 0, 30, 0, TimeSpan.Zero));
        second.ShouldBe(new DateTimeOffset(2026, 10, 26, 1, 30, 0, TimeSpan.Zero));
    }

    [Fact]
    public void Next_SixFields_TicksEverySecond()
    {
        var table = CronTimetable.Parse("* * * * * *", "UTC");
        var at = new DateTimeOffset(2030, 1, 1, 0, 0, 0, 400, TimeSpan.Zero);

        table.Next(at).ShouldBe(new DateTimeOffset(2030, 1, 1, 0, 0, 1, TimeSpan.Zero));
    }

    [Fact]
    public void Next_UtcDaily_IsStrictlyAfter()
    {
        var table = CronTimetable.Parse("0 3 * * *", "UTC");
        var three = new DateTimeOffset(2030, 1, 1, 3, 0, 0, TimeSpan.Zero);

        table.Next(three).ShouldBe(three.AddDays(1));
    }

    [Theory]
    [InlineData("0 3 * *", "UTC", "not a cron expression")]
    [InlineData("0 3 * * *", "Nowhere/City", "not a known time zone")]
    public void Parse_Bad_ThrowsNamingTheProblem(string cron, string zone, string message)
    {
        Should.Throw<FormatException>(() => CronTimetable.Parse(cron, zone)).Message.ShouldContain(message);
    }
}
