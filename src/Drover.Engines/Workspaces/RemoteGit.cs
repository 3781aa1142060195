using Drover.Core.Configuration;
using Drover.Core.Secrets;
using Drover.Core.Workspaces;
using Microsoft.Extensions.Logging;

namespace Drover.Engines.Workspaces;

/// <summary>
/// git commands that reach a remote (clone, fetch, ls-remote), run by Drover itself: only the transports
/// in <see cref="RepoUrl.AllowedProtocols"/>, and for an https URL of a <c>[[forges]]</c> host the token from
/// the secret store, handed to git's credential helper through this one git process's environment.
/// Neither the token nor the helper is written to any config file, so a mirror's config holds the URL only.
/// </summary>
public sealed class RemoteGit(IReadOnlyList<ForgeConfig>? forges = null, SecretStore? secrets = null)
{
    private const string TokenVariable = "DROVER_GIT_TOKEN";

    // Replaces every helper from the user's git config; reads the token from its own environment, answers `get` only.
    private const string Helper =
        "!f() { test \"$1\" = get && printf 'username=x-access-token\\npassword=%s\\n' \"$" + TokenVariable + "\"; }; f";

    /// <summary>Runs git against <paramref name="url"/>; throws <see cref="WorkspaceException"/> on failure (the message never holds the token).</summary>
    internal async Task<GitOutput> RunCheckedAsync(string cwd, string url, ILogger logger, CancellationToken ct, params string[] args)
    {
        var output = await RunAsync(cwd, url, logger, ct, args);
        return output.Ok
            ? output
            : throw new WorkspaceException($"git {args[0]} {url} failed (exit {output.ExitCode}): {output.Stderr.Trim()}");
    }

    internal async Task<GitOutput> RunAsync(string cwd, string url, ILogger logger, CancellationToken ct, params string[] args)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["GIT_ALLOW_PROTOCOL"] = RepoUrl.AllowedProtocols,
            ["GIT_ASKPASS"] = "",
            ["SSH_ASKPASS"] = "",
        };
        var prefix = new List<string> { "-c", "protocol.ext.allow=never", "-c", "protocol.fd.allow=never", "-c", "credential.helper=" };
        var token = Token(url);
        if (token is not null)
        {
            env[TokenVariable] = token;
            prefix.AddRange(["-c", $"credential.helper={Helper}"]);
        }

        var output = await GitCli.RunAsync(cwd, env, logger, ct, [.. prefix, .. args]);
        return token is null ? output : output with
        {
            Stdout = output.Stdout.Replace(token, "****", StringComparison.Ordinal),
            Stderr = output.Stderr.Replace(token, "****", StringComparison.Ordinal),
        };
    }

    /// <summary>The token for <paramref name="url"/>: an https URL of a configured forge host whose secret is set; else null.</summary>
    internal string? Token(string url)
    {
        if (!RepoUrl.IsHttps(url) || RepoUrl.Host(url) is not { } host || forges?.FirstOrDefault(f => f.Host == host) is not { } forge)
            return null;
        string? token;
        try
        {
            token = secrets?.Get(forge.TokenSecret);
        }
        catch (Core.DroverException)
        {
            // A damaged secrets file: say which store, never what it holds.
            throw new WorkspaceException($"cannot read the secret store for [[forges]] host {host} (drover doctor checks it)");
        }

        return token is { Length: > 0 }
            ? token
            : throw new WorkspaceException($"the secret \"{forge.TokenSecret}\" named by [[forges]] host {host} is not set (drover secret set {forge.TokenSecret})");
    }
}
