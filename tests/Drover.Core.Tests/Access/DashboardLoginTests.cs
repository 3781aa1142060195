using Drover.Core.Access;

namespace Drover.Core.Tests.Access;

public sealed class DashboardLoginTests
{
    private const string Token = "drv_0123456789abcdef";
    private static readonly DateTimeOffset Now = new(2026, 11, 7, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void VerifyCode_FreshCode_Accepted()
    {
        var code = DashboardLogin.MintCode(Token, Now);

        DashboardLogin.VerifyCode(Token, code, Now.AddMinutes(9)).ShouldBeTrue();
        code.ShouldNotContain(Token);
    }

    [Fact]
    public void VerifyCode_AfterTenMinutes_Refused()
    {
        var code = DashboardLogin.MintCode(Token, Now);

        DashboardLogin.VerifyCode(Token, code, Now.AddMinutes(10).AddSeconds(1)).ShouldBeFalse();
    }

    [Fact]
    public void VerifyCode_OtherTokenOrTamperedExpiry_Refused()
    {
        var code = DashboardLogin.MintCode(Token, Now);
        var mac = code[(code.IndexOf('.', StringComparison.Ordinal) + 1)..];
        var later = (Now.AddMinutes(5).ToUnixTimeSeconds() + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);

        DashboardLogin.VerifyCode("drv_other", code, Now).ShouldBeFalse();
        DashboardLogin.VerifyCode(Token, later + "." + mac, Now).ShouldBeFalse();
        DashboardLogin.VerifyCode(Token, "", Now).ShouldBeFalse();
        DashboardLogin.VerifyCode(Token, "garbage", Now).ShouldBeFalse();
        DashboardLogin.VerifyCode(Token, null, Now).ShouldBeFalse();
    }

    [Fact]
    public void VerifySession_LoginCodeUsedAsCookie_Refused()
    {
        var code = DashboardLogin.MintCode(Token, Now);
        var session = DashboardLogin.MintSession(Token, Now);

        DashboardLogin.VerifySession(Token, code, Now, 0).ShouldBeFalse();
        DashboardLogin.VerifyCode(Token, session, Now).ShouldBeFalse();
        DashboardLogin.VerifySession(Token, session, Now.AddDays(6), 0).ShouldBeTrue();
        DashboardLogin.VerifySession(Token, session, Now.AddDays(7).AddSeconds(1), 0).ShouldBeFalse();
    }

    [Fact]
    public void VerifySession_OtherGenerationOrForgedGeneration_Refused()
    {
        var session = DashboardLogin.MintSession(Token, Now, generation: 3);
        var forged = session.Replace(".3.", ".4.", StringComparison.Ordinal);

        DashboardLogin.VerifySession(Token, session, Now, 3).ShouldBeTrue();
        DashboardLogin.VerifySession(Token, session, Now, 4).ShouldBeFalse();
        DashboardLogin.VerifySession(Token, forged, Now, 4).ShouldBeFalse();
    }

    [Fact]
    public void MintCode_TwiceInOneSecond_GivesTwoCodes()
    {
        var code = DashboardLogin.MintCode(Token, Now);

        DashboardLogin.MintCode(Token, Now).ShouldNotBe(code);
        DashboardLogin.CodeExpiry(code).ShouldBe(Now + DashboardLogin.CodeLifetime);
    }
}
