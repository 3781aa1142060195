using System.Net;
using System.Net.Sockets;
using System.Text;
using Drover.Core.Configuration;
using Drover.Engines.Processes;
using Drover.Engines.Sandbox;
using Drover.Engines.Tests.Processes;
using Drover.Engines.Tests.Support;
using Drover.Engines.Workspaces;

namespace Drover.Engines.Tests.Sandbox;

/// <summary>An attempt's whole sandbox with real bubblewrap: git in a worktree, a hidden engine, the gateway relay.</summary>
public sealed class AttemptSandboxTests : ProcessTestBase
{
    private string Home => Dir.Dir("home");

    private AttemptSandbox Sandbox(string? socket = null)
    {
        if (AttemptSandbox.Probe(Bubblewrap.DefaultPath) is { } why)
            Assert.Skip("no sandbox on this host: " + why);
        File.WriteAllText(Path.Combine(Home, "token"), "drv_secret_token");
        return new AttemptSandbox(new SandboxConfig(), Home, socket, null);
    }

    private async Task<string[]> RunAsync(AttemptSandbox sandbox, Workspace workspace, IReadOnlyList<string> argv, SandboxNetwork network = SandboxNetwork.None, Uri? gateway = null)
    {
        var run = Dir.Dir("home", "runs", "1", "1");
        var (wrapped, error) = sandbox.Wrap(new SandboxRun(argv, workspace, run, Dir.Dir("home", "runs", "1", "1", "agent-home"), network, gateway));
        wrapped.ShouldNotBeNull(error);
        await Runner.RunAsync(new ProcessRunRequest(wrapped, workspace.Directory, Log) { Timeout = TimeSpan.FromSeconds(30) }, Ct);
        return LogLines();
    }

    [Fact]
    public async Task Wrap_GitWorktree_TheAgentCommitsButCannotPlantHooksOrConfig()
    {
        var sandbox = Sandbox();
        var repo = Dir.Dir("repo");
        Git.InitRepo(repo);
        var workspace = await new GitWorkspaces().PrepareAsync(repo, Home, 1, null, Ct);

        var lines = await RunAsync(sandbox, workspace, ["/bin/sh", "-c",
            "echo work > w.txt && git add w.txt && git -c user.name=a -c user.email=a@b commit -qm agent && echo COMMITTED; " +
            "git rev-parse --git-common-dir; echo 'touch /tmp/pwned' > \"$(git rev-parse --git-common-dir)/hooks/post-checkout\" 2>/dev/null && echo HOOK-PLANTED; " +
            "git config core.hooksPath /tmp 2>/dev/null && echo CONFIG-CHANGED; cat '" + Path.Combine(Home, "token") + "' 2>/dev/null && echo LEAKED; true"]);

        lines.ShouldContain(l => l.Contains("COMMITTED", StringComparison.Ordinal), string.Join('\n', lines));
        lines.ShouldNotContain(l => l.Contains("HOOK-PLANTED", StringComparison.Ordinal) || l.Contains("CONFIG-CHANGED", StringComparison.Ordinal) || l.Contains("LEAKED", StringComparison.Ordinal));
        Git.Run(repo, "log", "-1", "--format=%s", workspace.Branch!).Trim().ShouldBe("agent");
        File.Exists(Path.Combine(repo, ".git", "hooks", "post-checkout")).ShouldBeFalse();
    }

    [Fact]
    public async Task Wrap_EngineInstalledUnderAHiddenTree_RunsWithoutExposingItsNeighbours()
    {
        var sandbox = Sandbox();
        var bin = Dir.Dir("home", "tools", "node_modules", "pkg", "bin");
        var tool = Path.Combine(bin, "tool");
        File.WriteAllText(tool, "#!/bin/sh\necho TOOL-RAN from \"$0\"\n");
        File.SetUnixFileMode(tool, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var link = Path.Combine(Dir.Dir("home", "tools", "node_modules", ".bin"), "tool");
        File.CreateSymbolicLink(link, "../pkg/bin/tool");
        var work = Dir.Dir("home", "work", "1");

        var lines = await RunAsync(sandbox, Workspace.InPlace(work), [link]);

        lines.ShouldContain(l => l.Contains("TOOL-RAN from " + tool, StringComparison.Ordinal), string.Join('\n', lines));
        var (again, _) = sandbox.Wrap(new SandboxRun(["/bin/cat", Path.Combine(Home, "token")], Workspace.InPlace(work), work, work, SandboxNetwork.None, null));
        var result = await new ProcessGroupRunner().RunAsync(new ProcessRunRequest(again!, work, new LineLog(Dir.Combine("log2"))), Ct);
        result.ExitCode.ShouldNotBe(0, "the engine's tree is bound back, not the home it sits in");
    }

    [Fact]
    public async Task Wrap_GatewayNetwork_RelaysOnlyToTheGatewaySocket()
    {
        var socketPath = Path.Combine(Home, "gateway.sock");
        using var gateway = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        gateway.Bind(new UnixDomainSocketEndPoint(socketPath));
        gateway.Listen(8);
        var served = ServeOnceAsync(gateway);
        using var other = new TcpListener(IPAddress.Loopback, 0);
        other.Start();
        var otherPort = ((IPEndPoint)other.LocalEndpoint).Port;
        var sandbox = Sandbox(socketPath);
        var work = Dir.Dir("home", "work", "1");
        const int Port = 18731;

        var lines = await RunAsync(sandbox, Workspace.InPlace(work), ["/bin/bash", "-c",
            $"exec 3<>/dev/tcp/127.0.0.1/{Port} && printf 'GET /v1/models HTTP/1.0\\r\\n\\r\\n' >&3 && head -1 <&3; " +
            $"(exec 4<>/dev/tcp/127.0.0.1/{otherPort}) 2>/dev/null && echo HOST-LOOPBACK-REACHED; exit 7"],
            SandboxNetwork.Gateway, new Uri($"http://127.0.0.1:{Port}/v1"));

        lines.ShouldContain(l => l.Contains("HTTP/1.0 200 OK from the socket", StringComparison.Ordinal), string.Join('\n', lines));
        lines.ShouldNotContain(l => l.Contains("HOST-LOOPBACK-REACHED", StringComparison.Ordinal));
        (await served).ShouldStartWith("GET /v1/models");
    }

    [Fact]
    public async Task Wrap_GatewayNetworkWithoutItsSocket_RefusesWithTheReason()
    {
        var sandbox = Sandbox(Path.Combine(Home, "gateway.sock"));
        var work = Dir.Dir("home", "work", "1");

        var (argv, error) = sandbox.Wrap(new SandboxRun(["/bin/true"], Workspace.InPlace(work), work, work, SandboxNetwork.Gateway, new Uri("http://127.0.0.1:8731/v1")));

        argv.ShouldBeNull();
        error!.ShouldContain("gateway.sock is missing");
    }

    [Theory]
    [InlineData(null, true, null, SandboxNetwork.Gateway)]
    [InlineData(null, false, null, SandboxNetwork.Open)]
    [InlineData(SandboxNetwork.Open, true, SandboxNetwork.None, SandboxNetwork.None)]
    [InlineData(SandboxNetwork.None, true, SandboxNetwork.Open, SandboxNetwork.None)]
    [InlineData(SandboxNetwork.Gateway, false, SandboxNetwork.Open, SandboxNetwork.Gateway)]
    public void NetworkFor_JobMayOnlyNarrowWhatConfigAllows(SandboxNetwork? configured, bool usesGateway, SandboxNetwork? job, SandboxNetwork expected)
    {
        var sandbox = new AttemptSandbox(new SandboxConfig { Network = configured }, Home, null, null);

        sandbox.NetworkFor(usesGateway, job).ShouldBe(expected);
    }

    [Fact]
    public void InstallTrees_NpmVenvPipUserAndPlainBinary_BindWhatTheProgramNeeds()
    {
        var venv = Dir.Dir("pipx", "venvs", "aider");
        File.WriteAllText(Path.Combine(venv, "pyvenv.cfg"), "home = /usr/bin\n");
        var user = Dir.Dir("local");
        Dir.Dir("local", "lib", "python3.11");

        AttemptSandbox.InstallTrees("/h/.npm/lib/node_modules/@openai/codex/node_modules/x/bin/codex.js").ShouldBe(["/h/.npm/lib/node_modules"]);
        AttemptSandbox.InstallTrees(Path.Combine(venv, "bin", "aider")).ShouldBe([venv]);
        AttemptSandbox.InstallTrees(Path.Combine(user, "bin", "aider")).ShouldBe([Path.Combine(user, "bin"), Path.Combine(user, "lib")]);
        AttemptSandbox.InstallTrees("/h/.local/share/claude/versions/2.1.330").ShouldBe(["/h/.local/share/claude/versions"]);
    }

    private static async Task<string> ServeOnceAsync(Socket listener)
    {
        using var client = await listener.AcceptAsync(Ct);
        var buffer = new byte[4096];
        var n = await client.ReceiveAsync(buffer, Ct);
        await client.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.0 200 OK from the socket\r\nContent-Length: 0\r\n\r\n"), Ct);
        client.Shutdown(SocketShutdown.Both);
        return Encoding.ASCII.GetString(buffer, 0, n);
    }
}
