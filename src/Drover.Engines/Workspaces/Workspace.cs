namespace Drover.Engines.Workspaces;

/// <summary>Where an attempt runs.</summary>
/// <param name="Directory">The engine's cwd: the worktree (plus the repo's subdirectory, if the repo is one) or a non-git repo itself.</param>
/// <param name="Root">The worktree's top level; equals <paramref name="Directory"/> for non-git repos.</param>
/// <param name="IsGit">False: no worktree, no checkpoint, no diff.</param>
/// <param name="Branch">drover/&lt;job-id&gt; for git workspaces.</param>
/// <param name="BaseSha">The commit the branch started from; diffs are taken against it.</param>
/// <param name="Prefix">The job repo's path inside its git top level: "" or "sub/dir/".</param>
public sealed record Workspace(string Directory, string Root, bool IsGit, string? Branch, string? BaseSha, string Prefix)
{
    public static Workspace InPlace(string repo) => new(repo, repo, false, null, null, "");
}

/// <summary>Where a directory sits in git: its top level, the shared .git dir and its path below the top level.</summary>
internal sealed record GitLocation(string TopLevel, string CommonDir, string Prefix);
