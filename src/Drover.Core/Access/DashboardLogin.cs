using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Drover.Core.Access;

/// <summary>
/// The dashboard's login link and session cookie, both <c>&lt;expiry unix seconds&gt;.&lt;field&gt;.&lt;hex HMAC-SHA256&gt;</c>
/// under the home's API token with a purpose prefix ("login:" or "session:"), so the CLI can mint a link from the token
/// file without asking the server, neither value reveals the token, and a login code cannot be replayed as a session.
/// A code's field is a random nonce (the server remembers redeemed codes: each link logs in once); a session's field
/// is the generation it was minted under (logging out moves the generation on, ending every earlier session).
/// </summary>
public static class DashboardLogin
{
    public const string CookieName = "drover_session";
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromDays(7);

    private const string LoginPurpose = "login:";
    private const string SessionPurpose = "session:";

    /// <summary>A one-use code valid for <see cref="CodeLifetime"/> from <paramref name="now"/>.</summary>
    public static string MintCode(string token, DateTimeOffset now) =>
        Mint(token, LoginPurpose, now + CodeLifetime, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));

    public static bool VerifyCode(string token, string? code, DateTimeOffset now) => Verify(token, LoginPurpose, code, now, CodeLifetime) is not null;

    /// <summary>When a valid code stops working; the server forgets it was redeemed after this.</summary>
    public static DateTimeOffset CodeExpiry(string code) =>
        DateTimeOffset.FromUnixTimeSeconds(long.Parse(code.AsSpan(0, code.IndexOf('.')), NumberStyles.None, CultureInfo.InvariantCulture));

    /// <summary>The cookie value a verified code is exchanged for, valid for <see cref="SessionLifetime"/> while the
    /// session generation stays <paramref name="generation"/>.</summary>
    public static string MintSession(string token, DateTimeOffset now, long generation = 0) =>
        Mint(token, SessionPurpose, now + SessionLifetime, generation.ToString(CultureInfo.InvariantCulture));

    public static bool VerifySession(string token, string? session, DateTimeOffset now, long generation) =>
        Verify(token, SessionPurpose, session, now, SessionLifetime) == generation.ToString(CultureInfo.InvariantCulture);

    private static string Mint(string token, string purpose, DateTimeOffset expires, string field)
    {
        var payload = expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + "." + field;
        return payload + "." + Mac(token, purpose, payload);
    }

    /// <summary>
    /// The field of a value minted under this token and purpose that has not expired, and whose expiry is no further
    /// out than one lifetime (a value claiming to live longer was not minted here); null for anything else.
    /// </summary>
    private static string? Verify(string token, string purpose, string? value, DateTimeOffset now, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (string.IsNullOrEmpty(value) || value.Length > 128)
            return null;
        var first = value.IndexOf('.');
        var last = value.LastIndexOf('.');
        if (first <= 0 || last <= first + 1 || !long.TryParse(value.AsSpan(0, first), NumberStyles.None, CultureInfo.InvariantCulture, out var expiry))
            return null;
        var expected = Encoding.ASCII.GetBytes(Mac(token, purpose, value[..last]));
        var given = Encoding.ASCII.GetBytes(value[(last + 1)..]);
        if (!CryptographicOperations.FixedTimeEquals(expected, given))
            return null;
        var seconds = now.ToUnixTimeSeconds();
        return expiry > seconds && expiry <= seconds + (long)lifetime.TotalSeconds + 60 ? value[(first + 1)..last] : null;
    }

    private static string Mac(string token, string purpose, string payload) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(purpose + payload)));
}
