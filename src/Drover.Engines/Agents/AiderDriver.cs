using Drover.Core.Configuration;

namespace Drover.Engines.Agents;

/// <summary>
/// aider: <c>aider --message-file prompt.md --yes-always --no-pretty --no-stream --no-auto-commits …</c>. aider has no
/// config-home variable, so the per-run part is its history files (kept out of the worktree); Drover, not aider,
/// commits the changes. Flags checked against aider's <c>args.py</c>; no version has been run against it yet.
/// </summary>
public sealed class AiderDriver(EngineConfig? config = null) : AgentDriver(config)
{
    public override string Name => "aider";

    public override AgentStream CreateStream() => new AiderStream();

    protected override void Build(AgentInvocation run)
    {
        run.Argv.AddRange([
            "--yes-always", "--no-pretty", "--no-stream", "--no-fancy-input",
            "--no-auto-commits", "--no-dirty-commits", "--no-gitignore",
            "--no-check-update", "--no-show-release-notes", "--no-analytics", "--no-detect-urls",
            "--input-history-file", Path.Combine(run.Home, "input.history"),
            "--chat-history-file", Path.Combine(run.Home, "chat.history.md"),
        ]);
        if (run.Model is { } model)
            run.Argv.AddRange(["--model", model]);
    }

    /// <summary>
    /// <c>--message-file</c>: aider takes positional arguments as files to edit, so the prompt cannot follow <c>--</c>;
    /// a file also has no argv length limit.
    /// </summary>
    protected override IEnumerable<string> PromptArguments(string promptFile) => ["--message-file", promptFile];
}
