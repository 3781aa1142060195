using System.Net;
using System.Net.Http.Headers;
using Drover.Server.Api;

namespace Drover.IntegrationTests.Security;

/// <summary>Failed bearer authentication is logged and, past a limit per address, answered 429; a right token is never held back.</summary>
public sealed class AuthThrottleTests
{
    private const string BadToken = "not-the-token-but-long-enough-0123456789";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Serve_FiftyBadTokens_LaterOnesGet429AndAreLogged_GoodTokenStillWorks()
    {
        using var t = new TestHome();
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "0"]);
        var url = await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        using var good = t.Http(url);
        using var bad = t.Http(url, withToken: false);
        bad.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", BadToken);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 50; i++)
        {
            using var r = await bad.GetAsync("/api/status", Ct);
            statuses.Add(r.StatusCode);
            if (r.StatusCode == HttpStatusCode.TooManyRequests)
                r.Headers.RetryAfter!.Delta!.Value.ShouldBeGreaterThan(TimeSpan.Zero);
            if (i == 25)
            {
                using var mid = await good.GetAsync("/api/status", Ct);
                mid.StatusCode.ShouldBe(HttpStatusCode.OK, "a right token is not counted");
            }
        }

        statuses.Take(AuthFailureThrottle.Limit).ShouldAllBe(s => s == HttpStatusCode.Unauthorized);
        statuses.Skip(AuthFailureThrottle.Limit).ShouldAllBe(s => s == HttpStatusCode.TooManyRequests);
        using (var r = await good.GetAsync("/api/status", Ct))
            r.StatusCode.ShouldBe(HttpStatusCode.OK, "the address is throttled only for requests that fail authentication");

        var log = serve.Output;
        log.ShouldContain("failed bearer authentication since the last report (latest: GET /api/status)");
        log.ShouldContain($"failed bearer authentication over {AuthFailureThrottle.Limit} times within a minute");
        log.Split('\n').Count(l => l.Contains("since the last report", StringComparison.Ordinal)).ShouldBe(1, "one line per address per minute, not one per request");
        log.ShouldNotContain(BadToken);
    }

    [Fact]
    public void Fail_AfterTheWindowPasses_AnswersAgainAndReportsTheCount()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var throttle = new AuthFailureThrottle(clock);
        var remote = IPAddress.Parse("2001:db8::1");

        var first = throttle.Fail(remote);
        first.Report.ShouldBe(1, "the first failure is logged at once");
        for (var i = 1; i < AuthFailureThrottle.Limit; i++)
            throttle.Fail(IPAddress.Parse($"2001:db8::{i + 1:x}")).RetryAfter.ShouldBeNull();
        var refused = throttle.Fail(remote);
        refused.RetryAfter.ShouldBe(AuthFailureThrottle.Window, "the whole /64 counts as one address");
        refused.ThrottleStarted.ShouldBeTrue();
        throttle.Fail(remote).ThrottleStarted.ShouldBeFalse("said once per window");
        throttle.Fail(IPAddress.Parse("192.0.2.7")).RetryAfter.ShouldBeNull("another address has its own count");

        clock.Now += AuthFailureThrottle.Window;
        var later = throttle.Fail(remote);
        later.RetryAfter.ShouldBeNull();
        later.Report.ShouldBe(AuthFailureThrottle.Limit + 2, "the failures since the last line");
    }

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
