using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Drover.Core.Access;
using Drover.Server.Hosting;

namespace Drover.Server.Dashboard;

/// <summary>What became of a login code.</summary>
public enum LoginOutcome
{
    Accepted,
    Invalid,
    AlreadyUsed,
}

/// <summary>
/// The server's side of dashboard logins, kept in <c>&lt;home&gt;/dashboard-sessions</c> (0600): the session generation
/// every cookie must carry, and the login codes already redeemed (until they expire), so a link logs in once, also
/// across a restart. `serve` and `drover dashboard --logout-all` both change the file, one at a time under an flock.
/// </summary>
public sealed partial class DashboardSessions(DroverHome home, string token, TimeProvider time)
{
    /// <summary>Trades a valid, unused code for a session cookie value; the code is spent before this returns.</summary>
    public LoginOutcome Redeem(string? code, out string? session)
    {
        session = null;
        var now = time.GetUtcNow();
        if (code is null || !DashboardLogin.VerifyCode(token, code, now))
            return LoginOutcome.Invalid;
        var used = Hash(code);
        var state = Update(home, now, s => s.Redeemed.TryAdd(used, DashboardLogin.CodeExpiry(code).ToUnixTimeSeconds()));
        if (state is null)
            return LoginOutcome.AlreadyUsed;
        session = DashboardLogin.MintSession(token, now, state.Generation);
        return LoginOutcome.Accepted;
    }

    /// <summary>True for a session cookie minted under the current generation that has not expired.</summary>
    public bool Verify(string? session, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(session))
            return false;
        // Read every time (a small file): a logout by another process must count at once, whatever the mtime resolution.
        return DashboardLogin.VerifySession(token, session, now, Read(home.DashboardSessionsPath).Generation);
    }

    /// <summary>Ends every session minted so far (every browser); returns the new generation.</summary>
    public long LogoutAll() => LogoutAll(home, time.GetUtcNow());

    /// <summary>What `drover dashboard --logout-all` does: moves the generation on, with or without a running serve.</summary>
    public static long LogoutAll(DroverHome home, DateTimeOffset now) =>
        Update(home, now, s =>
        {
            s.Generation++;
            return true;
        })!.Generation;

    /// <summary>
    /// Reads the file, drops expired codes, applies <paramref name="change"/> and writes the result (fsynced, then
    /// renamed into place) under an exclusive lock; null without a write when <paramref name="change"/> says no.
    /// </summary>
    private static State? Update(DroverHome home, DateTimeOffset now, Func<State, bool> change)
    {
        using var exclusive = Acquire(home.DashboardSessionsPath + ".lock");
        var state = Read(home.DashboardSessionsPath);
        var seconds = now.ToUnixTimeSeconds();
        foreach (var (code, expires) in state.Redeemed.ToList())
        {
            if (expires < seconds)
                state.Redeemed.Remove(code);
        }

        if (!change(state))
            return null;
        // checkpoint: once this rename lands, the code stays spent (and the generation moved) across a restart.
        DroverHome.WriteSecretFile(home.DashboardSessionsPath, JsonSerializer.Serialize(state, StateJson.Default.State));
        return state;
    }

    private static State Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), StateJson.Default.State) ?? new State();
        }
        catch (FileNotFoundException)
        {
            return new State();
        }
        catch (JsonException e)
        {
            throw new Core.DroverException($"{path} is not readable ({e.Message}); delete it to sign every browser out and start over", e);
        }
    }

    /// <summary>An flock on the lock file (FileShare.None on Unix), waited for: the other holder writes one small file.</summary>
    private static FileStream Acquire(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.OpenOrCreate,
                    Access = FileAccess.ReadWrite,
                    Share = FileShare.None,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
            }
            catch (IOException) when (attempt < 500)
            {
                Thread.Sleep(10);
            }
        }
    }

    private static string Hash(string code) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(code)));

    internal sealed class State
    {
        public long Generation { get; set; }

        /// <summary>SHA-256 of each redeemed code → its expiry (unix seconds).</summary>
        public Dictionary<string, long> Redeemed { get; set; } = new(StringComparer.Ordinal);
    }

    [System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
    [System.Text.Json.Serialization.JsonSerializable(typeof(State))]
    internal sealed partial class StateJson : System.Text.Json.Serialization.JsonSerializerContext;
}
