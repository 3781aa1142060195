using Drover.Core;
using Drover.Core.Workspaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Engines.Workspaces;

/// <summary>Resolves a job's base at submit time with the real `git`.</summary>
public sealed class GitRepoInspector : IRepoInspector
{
    private readonly ILogger _logger;
    private readonly RepoMirrors _mirrors;

    public GitRepoInspector(ILogger<GitRepoInspector>? logger = null, RepoMirrors? mirrors = null)
    {
        _logger = logger ?? NullLogger<GitRepoInspector>.Instance;
        _mirrors = mirrors ?? new RepoMirrors(logger: _logger);
    }

    /// <summary>How long submit waits for a remote to answer before leaving the base to the first claim.</summary>
    public static readonly TimeSpan RemoteTimeout = TimeSpan.FromSeconds(20);

    public async Task<string?> ResolveBaseAsync(string repo, string? gitRef, CancellationToken ct)
    {
        if (Core.Workspaces.RepoUrl.IsUrl(repo))
        {
            // Reachable: record the sha now. Not (a private network, a forge that is down): the base stays as given
            // and the first claim resolves it in its host's mirror.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(RemoteTimeout);
            try
            {
                return await _mirrors.LsRemoteAsync(repo, gitRef, timeout.Token) ?? gitRef;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return gitRef;
            }
            catch (WorkspaceException)
            {
                return gitRef;
            }
        }

        GitLocation? location;
        try
        {
            location = await GitLocator.LocateAsync(repo, _logger, ct);
        }
        catch (WorkspaceException e)
        {
            throw new JobSpecException("repo", e.Message);
        }

        if (location is null)
        {
            return null;
        }

        var name = gitRef ?? "HEAD";
        return await GitLocator.ResolveCommitAsync(repo, name, _logger, ct)
            ?? throw new JobSpecException("base", gitRef is null
                ? $"repo {repo} has no commits yet; commit something or give a base"
                : $"base '{gitRef}' does not name a commit in {repo}");
    }
}
