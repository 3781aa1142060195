using Drover.Core;
using Drover.Core.Workspaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Engines.Workspaces;

/// <summary>Resolves a job's base at submit time with the real `git`.</summary>
public sealed class GitRepoInspector : IRepoInspector
{
    private readonly ILogger _logger;

    public GitRepoInspector(ILogger<GitRepoInspector>? logger = null) =>
        _logger = logger ?? NullLogger<GitRepoInspector>.Instance;

    public async Task<string?> ResolveBaseAsync(string repo, string? gitRef, CancellationToken ct)
    {
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
