using System.Text;
using System.Text.Json;
using Drover.Core.Secrets;

namespace Drover.Core.Tests.Secrets;

public sealed class UpstreamRedactorTests
{
    private const string Key = "Up+K3yC0re9876543210/x=<y>";

    [Fact]
    public void Redact_KeyInEveryEncoding_IsReplacedEverywhere()
    {
        var r = new UpstreamRedactor([Key, null, "abc"]);
        var text = $"raw {Key}; json {JsonSerializer.Serialize(Key)}; relaxed {JsonEncodedText.Encode(Key, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping)}; "
            + $"url {Uri.EscapeDataString(Key)}; form {System.Net.WebUtility.UrlEncode(Key)}";

        var redacted = r.Redact(text);

        redacted.ShouldNotContain("K3yC0re9876543210");
        redacted.ShouldContain("raw [redacted]");
        r.Redact("abc stays: too short to be a key").ShouldBe("abc stays: too short to be a key");
    }

    [Theory]
    [InlineData("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "Authorization: Bearer [redacted]")]
    [InlineData("Incorrect API key provided: sk-proj-abcdefghijklmnop1234.", "Incorrect API key provided: [redacted].")]
    [InlineData("key sk-ant-api03-AbCdEfGhIjKlMnOp-xyz was revoked", "key [redacted] was revoked")]
    [InlineData("x-api-key: secretvalue123", "x-api-key: [redacted]")]
    [InlineData("{\"api_key\": \"secretvalue123\"}", "{\"api_key\": \"[redacted]\"}")]
    [InlineData("{\\\"x-api-key\\\":\\\"secretvalue123\\\"}", "{\\\"x-api-key\\\":\\\"[redacted]\\\"}")]
    [InlineData("https://x.test/v1?key=AIzaSyA1234567890abcdefghijkl", "https://x.test/v1?key=[redacted]")]
    [InlineData("the task-abcdefghijk failed: context length exceeded", "the task-abcdefghijk failed: context length exceeded")]
    public void Redact_CredentialShapedText_IsReplaced(string text, string expected) =>
        UpstreamRedactor.None.Redact(text).ShouldBe(expected);

    [Fact]
    public void RedactKeys_AnswerAModelWrote_KeepsCredentialShapedCodeButNotTheKey()
    {
        var r = new UpstreamRedactor([Key]);
        const string code = "headers = { Authorization: Bearer abcdefgh12345678 }";

        r.RedactKeys(code).ShouldBe(code);
        var bytes = Encoding.UTF8.GetBytes(code);
        r.Redact(bytes, errorText: false).ShouldBeSameAs(bytes, "nothing to strip: the same bytes");
        Encoding.UTF8.GetString(r.Redact(Encoding.UTF8.GetBytes("say " + Key), errorText: false)).ShouldBe("say [redacted]");
    }
}
