using Drover.Core;

namespace Drover.Core.Workspaces;

/// <summary>Resolves repository facts at submit time (a port; the git implementation lives in Drover.Engines).</summary>
public interface IRepoInspector
{
    /// <summary>The sha that <paramref name="gitRef"/> (or HEAD when null) names in <paramref name="repo"/>; null for a non-git directory.
    /// Throws <see cref="JobSpecException"/> (field "base") when the ref does not resolve.</summary>
    Task<string?> ResolveBaseAsync(string repo, string? gitRef, CancellationToken ct);
}
