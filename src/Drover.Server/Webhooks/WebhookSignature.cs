using System.Security.Cryptography;
using System.Text;

namespace Drover.Server.Webhooks;

/// <summary>
/// The HMAC-SHA256 signature forges put on a webhook's raw body: GitHub's <c>X-Hub-Signature-256: sha256=&lt;hex&gt;</c>,
/// Gitea's <c>X-Gitea-Signature: &lt;hex&gt;</c> (Gitea also sends the GitHub header). Compared in constant time.
/// </summary>
public static class WebhookSignature
{
    private const string Prefix = "sha256=";

    /// <summary>The <c>X-Hub-Signature-256</c> value for <paramref name="body"/>.</summary>
    public static string Sign(string secret, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
    }

    /// <summary>
    /// True when <paramref name="signature"/> (<c>sha256=&lt;hex&gt;</c>, or bare hex when <paramref name="bareHex"/>)
    /// is the body's HMAC under <paramref name="secret"/>. Malformed or missing signatures are false.
    /// </summary>
    public static bool Verify(string secret, ReadOnlySpan<byte> body, string? signature, bool bareHex = false)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (string.IsNullOrEmpty(signature))
            return false;
        var hex = signature.Trim();
        if (!bareHex)
        {
            if (!hex.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
                return false;
            hex = hex[Prefix.Length..];
        }

        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (hex.Length != HMACSHA256.HashSizeInBytes * 2 || Convert.FromHexString(hex, given, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != given.Length)
            return false;
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body, expected);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }
}
