namespace Drover.Core.Configuration;

/// <summary>Which worktrees of ended jobs stay on disk for inspection (until <c>drover gc</c>); the job branch keeps the work either way.</summary>
public enum WorkspaceKeep
{
    /// <summary>Every worktree goes when its job ends.</summary>
    None,

    /// <summary>Worktrees of failed jobs stay; the others go.</summary>
    Failed,

    /// <summary>Every worktree stays until <c>drover gc</c>.</summary>
    All,
}

/// <summary><c>[workspaces]</c>: per-job worktrees under <c>&lt;home&gt;/work</c> (SPEC §6, §7).</summary>
public sealed record WorkspacesConfig
{
    public WorkspaceKeep Keep { get; init; } = WorkspaceKeep.Failed;
}

public static partial class DroverConfigLoader
{
    private static WorkspacesConfig Workspaces(TomlSection? s)
    {
        if (s is null)
            return new WorkspacesConfig();
        s.AllowOnly("keep");
        return new WorkspacesConfig
        {
            Keep = s.String("keep") switch
            {
                null or "failed" => WorkspaceKeep.Failed,
                "none" => WorkspaceKeep.None,
                "all" => WorkspaceKeep.All,
                var other => throw s.Error("keep", $"\"{other}\" is not one of none, failed, all"),
            },
        };
    }
}
