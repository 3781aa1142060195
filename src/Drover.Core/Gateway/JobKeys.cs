using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Drover.Core.Gateway;

/// <summary>
/// Per-attempt gateway keys (SPEC §9): <c>drvjob_&lt;job&gt;_&lt;attempt&gt;_&lt;mac&gt;</c>, an HMAC of the job and attempt under
/// the home's API token, so any process of the fleet can check one without a lookup table. The gateway also checks
/// that the attempt is still the job's running one, so a key stops working when its attempt ends.
/// </summary>
public static class JobKeys
{
    private const string Prefix = "drvjob_";

    public static string Mint(string secret, long job, int attempt) =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}{job}_{attempt}_{Mac(secret, job, attempt)}");

    /// <summary>The job and attempt a genuine key names; null for anything else.</summary>
    public static (long Job, int Attempt)? Verify(string secret, string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!key.StartsWith(Prefix, StringComparison.Ordinal))
            return null;
        var parts = key[Prefix.Length..].Split('_');
        if (parts.Length != 3
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var job)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var attempt))
            return null;
        var expected = Encoding.ASCII.GetBytes(Mac(secret, job, attempt));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(parts[2])) ? (job, attempt) : null;
    }

    private static string Mac(string secret, long job, int attempt) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(
            Encoding.UTF8.GetBytes("drover-job-key:" + secret),
            Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{job}:{attempt}"))))[..40];
}
