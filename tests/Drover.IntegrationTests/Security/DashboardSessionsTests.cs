using System.Text.Json;
using Drover.Core.Access;
using Drover.Server.Dashboard;
using Drover.Server.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Drover.IntegrationTests.Security;

/// <summary>The session file under load and over time: one winner per code, expired codes forgotten.</summary>
public sealed class DashboardSessionsTests
{
    private const string Token = "drv_0123456789abcdef0123456789abcdef";

    [Fact]
    public async Task Redeem_SameCodeRacedByTwoServers_AcceptedExactlyOnce()
    {
        using var t = new TestHome();
        var home = new DroverHome(t.Home);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var servers = new[] { new DashboardSessions(home, Token, time), new DashboardSessions(home, Token, time) };
        var code = DashboardLogin.MintCode(Token, time.GetUtcNow());

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(
            () => servers[i % 2].Redeem(code, out _), TestContext.Current.CancellationToken)));

        outcomes.Count(o => o == LoginOutcome.Accepted).ShouldBe(1);
        outcomes.Count(o => o == LoginOutcome.AlreadyUsed).ShouldBe(15);
        (File.GetUnixFileMode(home.DashboardSessionsPath) & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite)).ShouldBe(UnixFileMode.None);
    }

    [Fact]
    public void Redeem_AfterEarlierCodesExpired_ForgetsThem()
    {
        using var t = new TestHome();
        var home = new DroverHome(t.Home);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var sessions = new DashboardSessions(home, Token, time);
        sessions.Redeem(DashboardLogin.MintCode(Token, time.GetUtcNow()), out _).ShouldBe(LoginOutcome.Accepted);
        sessions.Redeem(DashboardLogin.MintCode(Token, time.GetUtcNow()), out _).ShouldBe(LoginOutcome.Accepted);
        time.Advance(DashboardLogin.CodeLifetime + TimeSpan.FromSeconds(1));

        sessions.Redeem(DashboardLogin.MintCode(Token, time.GetUtcNow()), out var cookie).ShouldBe(LoginOutcome.Accepted);

        using var file = JsonDocument.Parse(File.ReadAllText(home.DashboardSessionsPath));
        file.RootElement.GetProperty("redeemed").EnumerateObject().Count().ShouldBe(1);
        sessions.Verify(cookie, time.GetUtcNow()).ShouldBeTrue();
    }

    [Fact]
    public void LogoutAll_FromAnotherProcess_SeenByARunningServer()
    {
        using var t = new TestHome();
        var home = new DroverHome(t.Home);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var server = new DashboardSessions(home, Token, time);
        server.Redeem(DashboardLogin.MintCode(Token, time.GetUtcNow()), out var cookie).ShouldBe(LoginOutcome.Accepted);
        server.Verify(cookie, time.GetUtcNow()).ShouldBeTrue();

        DashboardSessions.LogoutAll(new DroverHome(t.Home), time.GetUtcNow()).ShouldBe(1);

        server.Verify(cookie, time.GetUtcNow()).ShouldBeFalse();
    }
}
