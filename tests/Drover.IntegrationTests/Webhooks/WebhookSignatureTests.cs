using System.Text;
using Drover.Server.Webhooks;

namespace Drover.IntegrationTests.Webhooks;

/// <summary>The HMAC-SHA256 check of forge webhooks, against GitHub's documented example.</summary>
public sealed class WebhookSignatureTests
{
    private const string Secret = "It's a Secret to Everybody";
    private const string Expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("Hello, World!");

    [Fact]
    public void Sign_GitHubDocumentedVector_MatchesGitHub() => WebhookSignature.Sign(Secret, Body).ShouldBe(Expected);

    [Fact]
    public void Verify_GitHubDocumentedVector_Passes()
    {
        WebhookSignature.Verify(Secret, Body, Expected).ShouldBeTrue();
        WebhookSignature.Verify(Secret, Body, Expected.ToUpperInvariant().Replace("SHA256=", "sha256=", StringComparison.Ordinal)).ShouldBeTrue();
        WebhookSignature.Verify(Secret, Body, Expected["sha256=".Length..], bareHex: true).ShouldBeTrue("Gitea's X-Gitea-Signature is bare hex");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sha256=")]
    [InlineData("757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")]
    [InlineData("sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")]
    [InlineData("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18")]
    [InlineData("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e")]
    [InlineData("sha256=zz7107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")]
    public void Verify_WrongOrMalformedSignature_Fails(string? signature) => WebhookSignature.Verify(Secret, Body, signature).ShouldBeFalse();

    [Fact]
    public void Verify_OtherSecretOrBody_Fails()
    {
        WebhookSignature.Verify("It's a Secret to Everybody!", Body, Expected).ShouldBeFalse();
        WebhookSignature.Verify(Secret, Encoding.UTF8.GetBytes("Hello, World?"), Expected).ShouldBeFalse();
    }
}
