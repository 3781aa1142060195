using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Drover.Core.Secrets;

namespace Drover.Core.Tests.Secrets;

public sealed class SecretMaskerTests
{
    private const string Secret = "pa\"ss\\wörd+<1234>\nsecond-line-5678";

    private static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly SecretMasker Masker = new(new Dictionary<string, string> { ["TOKEN"] = Secret });

    public static TheoryData<string, string> Encoded() => new()
    {
        { "raw", Secret },
        { "System.Text.Json default", JsonSerializer.Serialize(Secret) },
        { "System.Text.Json relaxed", JsonSerializer.Serialize(Secret, RelaxedJson) },
        { "lowercase \\u escapes", "\"pa\\u0022ss\\\\w\\u00f6rd\\u002b\\u003c1234\\u003e\\nsecond-line-5678\"" },
        { "ASCII-only minimal JSON", "\"pa\\\"ss\\\\w\\u00f6rd+<1234>\\nsecond-line-5678\"" },
        { "URL", Uri.EscapeDataString(Secret) },
        { "URL lowercase hex", Uri.EscapeDataString(Secret).ToLowerInvariant() },
        { "form", System.Net.WebUtility.UrlEncode(Secret) },
        { "base64", Convert.ToBase64String(Encoding.UTF8.GetBytes(Secret)) },
        { "base64 inside a longer value", Convert.ToBase64String(Encoding.UTF8.GetBytes("x=" + Secret + ";more")) },
        { "first line alone", "pa\"ss\\wörd+<1234>" },
        { "second line JSON-escaped", JsonSerializer.Serialize("second-line-5678 and more") },
    };

    [Theory]
    [MemberData(nameof(Encoded))]
    public void Mask_AnyEncodingOfTheValue_LeavesNoneOfIt(string form, string text)
    {
        var masked = Masker.Mask($"before {text} after");

        masked.ShouldContain("[secret TOKEN]", customMessage: form);
        masked.ShouldNotContain("wörd");
        masked.ShouldNotContain("second-line-5678");
        masked.ShouldStartWith("before ");
    }

    [Fact]
    public void Mask_TextWithoutTheSecret_IsUnchanged()
    {
        const string text = "pass word 1234 second line \"quoted\" \\ ö";
        Masker.Mask(text).ShouldBe(text);
    }

    [Fact]
    public void For_SecretAddedToTheSameDictionary_MasksItToo()
    {
        var secrets = new Dictionary<string, string> { ["A"] = "first-secret-value" };
        SecretMasker.For(secrets).Mask("first-secret-value").ShouldBe("[secret A]");

        secrets["B"] = "second-secret-value";

        SecretMasker.For(secrets).Mask("first-secret-value second-secret-value").ShouldBe("[secret A] [secret B]");
    }
}
