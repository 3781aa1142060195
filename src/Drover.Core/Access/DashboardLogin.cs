using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Drover.Core.Access;

/// <summary>
/// The dashboard's login link and session cookie, both <c>&lt;expiry unix seconds&gt;.&lt;hex HMAC-SHA256&gt;</c> under the
/// home's API token with a purpose prefix ("login:" or "session:"), so the CLI can mint a link from the token file
/// without asking the server, neither value reveals the token, and a login code cannot be replayed as a session.
/// </summary>
public static class DashboardLogin
{
    public const string CookieName = "drover_session";
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromDays(7);

    private const string LoginPurpose = "login:";
    private const string SessionPurpose = "session:";

    /// <summary>A one-link code valid for <see cref="CodeLifetime"/> from <paramref name="now"/>.</summary>
    public static string MintCode(string token, DateTimeOffset now) => Mint(token, LoginPurpose, now + CodeLifetime);

    public static bool VerifyCode(string token, string? code, DateTimeOffset now) => Verify(token, LoginPurpose, code, now, CodeLifetime);

    /// <summary>The cookie value a verified code is exchanged for, valid for <see cref="SessionLifetime"/>.</summary>
    public static string MintSession(string token, DateTimeOffset now) => Mint(token, SessionPurpose, now + SessionLifetime);

    public static bool VerifySession(string token, string? session, DateTimeOffset now) => Verify(token, SessionPurpose, session, now, SessionLifetime);

    private static string Mint(string token, string purpose, DateTimeOffset expires)
    {
        var expiry = expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return expiry + "." + Mac(token, purpose, expiry);
    }

    /// <summary>
    /// True for a value minted under this token and purpose that has not expired, and whose expiry is no further out
    /// than one lifetime (a value claiming to live longer was not minted here).
    /// </summary>
    private static bool Verify(string token, string purpose, string? value, DateTimeOffset now, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (string.IsNullOrEmpty(value) || value.Length > 128)
            return false;
        var dot = value.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || !long.TryParse(value.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var expiry))
            return false;
        var expected = Encoding.ASCII.GetBytes(Mac(token, purpose, value[..dot]));
        var given = Encoding.ASCII.GetBytes(value[(dot + 1)..]);
        if (!CryptographicOperations.FixedTimeEquals(expected, given))
            return false;
        var seconds = now.ToUnixTimeSeconds();
        return expiry > seconds && expiry <= seconds + (long)lifetime.TotalSeconds + 60;
    }

    private static string Mac(string token, string purpose, string expiry) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(purpose + expiry)));
}
