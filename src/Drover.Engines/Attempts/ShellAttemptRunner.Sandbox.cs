using Drover.Core.Configuration;
using Drover.Engines.Sandbox;

namespace Drover.Engines.Attempts;

public sealed partial class ShellAttemptRunner
{
    /// <summary>
    /// The engine's argv inside this attempt's sandbox (unchanged when the host does not confine), or null with
    /// <c>SandboxError</c> set when the attempt cannot run as configured. Either way the agent gets its own HOME.
    /// </summary>
    private IReadOnlyList<string>? Confine(RunState run, IReadOnlyList<string> argv)
    {
        Directory.CreateDirectory(run.RunHome);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(run.RunHome, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (_sandbox is not { Confines: true } sandbox)
        {
            if (_sandbox is { Unavailable: { } why, Config.Mode: SandboxMode.Auto })
                run.Log.Note($"sandbox: not confined ({why})");
            return argv;
        }

        var usesGateway = run.GatewayUrl is not null && !run.DirectToProvider;
        var network = sandbox.NetworkFor(usesGateway, run.Context.Spec.Network);
        var gateway = usesGateway && Uri.TryCreate(run.GatewayUrl, UriKind.Absolute, out var url) ? url : null;
        if (network == SandboxNetwork.Gateway && gateway is { Scheme: "https" })
            gateway = PlainGateway(run, gateway);
        var (wrapped, error) = sandbox.Wrap(new SandboxRun(argv, run.Workspace!, run.Files.Dir, run.RunHome, network, gateway) { ResumeHome = run.ResumeHome });
        if (wrapped is null)
        {
            run.SandboxError = error;
            run.Log.Note($"sandbox: {error}");
            return null;
        }

        run.Log.Note($"sandbox: confined (network {SandboxConfig.Name(network)})");
        return wrapped;
    }

    /// <summary>
    /// Under TLS the server's URL is https, but the relay inside the sandbox reaches the gateway's Unix socket, which
    /// speaks plain HTTP (it never leaves the host): the agent is handed the same address over http instead.
    /// </summary>
    private static Uri PlainGateway(RunState run, Uri gateway)
    {
        var secure = gateway.GetLeftPart(UriPartial.Authority);
        var plain = "http://" + secure["https://".Length..];
        run.GatewayUrl = plain + gateway.PathAndQuery.TrimEnd('/');
        run.EngineEnv = run.EngineEnv.ToDictionary(
            e => e.Key, e => e.Value?.Replace(secure, plain, StringComparison.Ordinal), StringComparer.Ordinal);
        // Claude's tool-approval server is on the gateway too.
        var mcp = Path.Combine(run.Files.Dir, Agents.ClaudeApprovals.ConfigFileName);
        if (File.Exists(mcp))
            File.WriteAllText(mcp, File.ReadAllText(mcp).Replace(secure, plain, StringComparison.Ordinal));
        return new Uri(run.GatewayUrl);
    }
}
