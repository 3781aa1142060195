using Drover.Core.Configuration;
using Drover.Core.Secrets;

namespace Drover.Server.Gateway;

/// <summary>A provider's key, or why the gateway cannot have it (a damaged secrets file).</summary>
public readonly record struct ProviderKey(string? Key, string? Problem);

/// <summary>
/// The keys the gateway authenticates upstream with (from the environment or the secret store), and the redactor
/// that strips every one of them from upstream text. The secrets file is read again only when it changes, and a
/// damaged one makes the providers that need it unavailable with a reason instead of failing every call.
/// </summary>
public sealed class GatewayKeys(IReadOnlyList<ProviderConfig> providers, string secretsPath)
{
    private readonly SecretStore _secrets = new(secretsPath);
    private Snapshot? _snapshot;

    public string SecretsPath => secretsPath;

    /// <summary>Strips every configured provider key, as of the secrets file's current contents.</summary>
    public UpstreamRedactor Redactor => Current().Redactor;

    /// <summary>What is wrong with the secrets file, or null.</summary>
    public string? SecretsProblem => Current().Problem;

    public ProviderKey Lookup(ProviderConfig p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.ApiKeyEnv is { } env)
            return new ProviderKey(Environment.GetEnvironmentVariable(env), null);
        if (p.ApiKeySecret is not { } name)
            return new ProviderKey(null, null);
        var now = Current();
        return now.Problem is { } problem
            ? new ProviderKey(null, problem)
            : new ProviderKey(now.Values.TryGetValue(name, out var v) ? v : null, null);
    }

    private Snapshot Current()
    {
        var stamp = Stamp();
        if (Volatile.Read(ref _snapshot) is { } s && s.Stamp == stamp)
            return s;
        var fresh = Read(stamp);
        Volatile.Write(ref _snapshot, fresh);
        return fresh;
    }

    private Snapshot Read(string stamp)
    {
        IReadOnlyDictionary<string, string> values = new Dictionary<string, string>();
        var problem = SecretsFileCheck.Problem(secretsPath);
        if (problem is null)
        {
            try
            {
                values = _secrets.ReadAll();
            }
            catch (Exception e) when (e is Core.DroverException or IOException or UnauthorizedAccessException)
            {
                problem = $"the secrets file {secretsPath} cannot be read";
            }
        }

        var keys = providers.Select(p => p.ApiKeyEnv is { } env ? Environment.GetEnvironmentVariable(env)
            : p.ApiKeySecret is { } name && values.TryGetValue(name, out var v) ? v : null);
        return new Snapshot(stamp, values, problem, new UpstreamRedactor(keys));
    }

    /// <summary>Changes whenever the file is replaced or rewritten (SecretStore renames a new file over it).</summary>
    private string Stamp()
    {
        var info = new FileInfo(secretsPath);
        return info.Exists ? $"{info.LastWriteTimeUtc.Ticks}:{info.Length}" : "absent";
    }

    private sealed record Snapshot(string Stamp, IReadOnlyDictionary<string, string> Values, string? Problem, UpstreamRedactor Redactor);
}
