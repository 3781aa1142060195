using System.Text.Json.Nodes;

namespace Drover.Engines.Agents;

/// <summary>
/// How claude asks Drover before a tool call (SPEC §13): <c>--permission-prompt-tool mcp__drover__approve</c> names a
/// tool of an MCP server, Drover's <c>/v1/approvals/mcp</c>, configured by <c>--mcp-config</c>. claude -p calls it for
/// every tool use its permission mode does not allow by itself (in the default mode: all but the read-only tools) with
/// <c>{tool_name, input, tool_use_id}</c>, and gets back <c>{"behavior":"allow"|"deny",…}</c>.
/// </summary>
internal static class ClaudeApprovals
{
    /// <summary>The MCP config claude is handed, in the attempt's run dir (0600: it holds the attempt's key).</summary>
    public const string ConfigFileName = "approvals-mcp.json";

    private const string Server = "drover";

    /// <summary>
    /// The arguments, and the MCP config file they name: in the run directory, 0600, because it holds the attempt's key
    /// (never on the command line, where the attempt log and <c>ps</c> would show it).
    /// </summary>
    public static IEnumerable<string> Arguments(AgentInvocation run, TimeSpan timeout)
    {
        var gateway = run.Request.Gateway!;
        var config = new JsonObject
        {
            ["mcpServers"] = new JsonObject
            {
                [Server] = new JsonObject
                {
                    ["type"] = "http",
                    ["url"] = gateway.Url.TrimEnd('/') + "/approvals/mcp",
                    ["headers"] = new JsonObject
                    {
                        ["Authorization"] = "Bearer " + gateway.Key,
                        ["X-Drover-Workspace"] = run.Request.Workspace,
                    },
                    // A person may take the whole [approvals] timeout to answer; claude's own limit must not cut the wait first.
                    ["timeout"] = (long)(timeout + TimeSpan.FromMinutes(1)).TotalMilliseconds,
                },
            },
        };
        var path = Path.Combine(Path.GetDirectoryName(run.Request.PromptFile)!, ConfigFileName);
        File.WriteAllText(path, "");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(path, config.ToJsonString());
        return ["--permission-prompt-tool", $"mcp__{Server}__approve", "--mcp-config", path, "--strict-mcp-config"];
    }
}
