using Drover.Core.Gateway;

namespace Drover.Core.Tests.Gateway;

public sealed class JobKeysTests
{
    [Fact]
    public void Mint_ThenVerify_NamesTheJobAndAttempt()
    {
        var key = JobKeys.Mint("token-1", 42, 3);

        JobKeys.Verify("token-1", key).ShouldBe((42L, 3));
        key.ShouldStartWith("drvjob_42_3_");
    }

    [Theory]
    [InlineData("drvjob_43_3_")] // another job with this key's MAC
    [InlineData("drvjob_42_4_")] // another attempt
    public void Verify_ForgedJobOrAttempt_IsRejected(string forgedPrefix)
    {
        var mac = JobKeys.Mint("token-1", 42, 3)["drvjob_42_3_".Length..];

        JobKeys.Verify("token-1", forgedPrefix + mac).ShouldBeNull();
    }

    [Theory]
    [InlineData("")]
    [InlineData("drv_abc")]
    [InlineData("drvjob_x_1_abc")]
    [InlineData("drvjob_1_1")]
    [InlineData("drvjob_-1_1_abc")]
    public void Verify_Malformed_IsRejected(string key) => JobKeys.Verify("token-1", key).ShouldBeNull();

    [Fact]
    public void Verify_KeyFromAnotherHome_IsRejected() =>
        JobKeys.Verify("token-2", JobKeys.Mint("token-1", 42, 3)).ShouldBeNull();
}
