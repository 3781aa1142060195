using System.Collections.Concurrent;
using Drover.Core.Configuration;
using Drover.Core.Secrets;

namespace Drover.Server.Forges;

/// <summary>
/// The forge client of each <c>[[forges]]</c> host, built once per host so its rate-limit state is shared by every
/// caller (delivery, tracker polling, status echo). The token is read from the secret store on each call, so
/// <c>drover secret set</c> takes effect without a restart. Answers time out after <see cref="Timeout"/>.
/// </summary>
public sealed class ForgeClients(IReadOnlyList<ForgeConfig> forges, SecretStore secrets, TimeProvider time, HttpClient? http = null) : IDisposable
{
    private readonly HttpClient _http = http ?? new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        Timeout = System.Threading.Timeout.InfiniteTimeSpan,
    };

    private readonly bool _ownsHttp = http is null;
    private readonly ConcurrentDictionary<string, IForgeClient> _clients = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How long one call may take before it counts as a transient failure.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    public IReadOnlyList<ForgeConfig> Forges { get; } = forges;

    /// <summary>The configured forge for <paramref name="host"/>, or null.</summary>
    public ForgeConfig? Config(string host) => Forges.FirstOrDefault(f => string.Equals(f.Host, host, StringComparison.OrdinalIgnoreCase));

    /// <summary>The client for <paramref name="host"/>; throws a non-transient <see cref="ForgeException"/> when no <c>[[forges]]</c> entry names it.</summary>
    public IForgeClient For(string host)
    {
        var forge = Config(host)
            ?? throw new ForgeException($"no [[forges]] entry for host {host} (add one with kind, token_secret and, for gitea, base_url)", null, false);
        return _clients.GetOrAdd(forge.Host, _ => Create(forge));
    }

    private IForgeClient Create(ForgeConfig forge)
    {
        string? Token() => secrets.Get(forge.TokenSecret);
        return forge.Kind switch
        {
            "github" => new GitHubClient(_http, forge.BaseUrl ?? GitHubClient.PublicApi, Token, time, Timeout),
            "gitea" => new GiteaClient(_http, forge.BaseUrl ?? throw new ForgeException($"[[forges]] host {forge.Host} needs base_url", null, false), Token, time, Timeout),
            _ => throw new ForgeException($"[[forges]] host {forge.Host}: kind {forge.Kind} is not one of github, gitea", null, false),
        };
    }

    public void Dispose()
    {
        if (_ownsHttp)
            _http.Dispose();
    }
}
