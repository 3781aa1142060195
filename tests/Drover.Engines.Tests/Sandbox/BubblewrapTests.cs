using System.Net;
using System.Net.Sockets;
using Drover.Engines.Processes;
using Drover.Engines.Sandbox;
using Drover.Engines.Tests.Processes;

namespace Drover.Engines.Tests.Sandbox;

/// <summary>Real bubblewrap around real commands: what the agent can and cannot reach.</summary>
public sealed class BubblewrapTests : ProcessTestBase
{
    private async Task<SandboxLayout> LayoutAsync(bool network = false)
    {
        if (await Bubblewrap.ProbeAsync(Bubblewrap.DefaultPath, Ct) is { } why)
            Assert.Skip("no sandbox on this host: " + why);
        var home = Dir.Dir("home");
        File.WriteAllText(Path.Combine(home, "token"), "drv_secret_token");
        var work = Dir.Dir("home", "work", "7");
        RunHome = Dir.Dir("home", "runs", "7", "1", "home");
        return new SandboxLayout(work, [new(MountKind.Hide, home), new(MountKind.ReadWrite, RunHome), new(MountKind.ReadWrite, work)], network);
    }

    private string RunHome { get; set; } = "";

    private async Task<(int Exit, string[] Lines)> RunAsync(SandboxLayout layout, string script)
    {
        var argv = Bubblewrap.Wrap(Bubblewrap.DefaultPath, layout, ["/bin/bash", "-c", script]);
        var result = await Runner.RunAsync(new ProcessRunRequest(argv, layout.Workspace, Log) { Timeout = TimeSpan.FromSeconds(30) }, Ct);
        return (result.ExitCode, LogLines());
    }

    [Fact]
    public async Task Wrap_HiddenHome_TokenInvisibleButWorkspaceAndRunHomeWritable()
    {
        var layout = await LayoutAsync();
        var token = Path.Combine(Dir.Path, "home", "token");

        var (exit, lines) = await RunAsync(layout,
            $"cat '{token}' 2>/dev/null && echo LEAKED; echo ok > '{layout.Workspace}/out.txt' && echo ok > '{RunHome}/h.txt' && echo WROTE");

        exit.ShouldBe(0, string.Join('\n', lines));
        lines.ShouldNotContain(l => l.Contains("LEAKED", StringComparison.Ordinal) || l.Contains("drv_secret_token", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("WROTE", StringComparison.Ordinal));
        File.ReadAllText(Path.Combine(layout.Workspace, "out.txt")).ShouldBe("ok\n");
        File.ReadAllText(Path.Combine(RunHome, "h.txt")).ShouldBe("ok\n");
        File.ReadAllText(token).ShouldBe("drv_secret_token");
    }

    [Fact]
    public async Task Wrap_NoCapabilities_CannotUnmountWhatHidesDrover()
    {
        var layout = await LayoutAsync();
        var home = Path.Combine(Dir.Path, "home");

        var (_, lines) = await RunAsync(layout, $"grep CapEff /proc/self/status; umount '{home}' 2>/dev/null; cat '{home}/token' 2>/dev/null && echo LEAKED");

        lines.ShouldContain(l => l.Contains("CapEff:\t0000000000000000", StringComparison.Ordinal));
        lines.ShouldNotContain(l => l.Contains("LEAKED", StringComparison.Ordinal) || l.Contains("drv_secret_token", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Wrap_System_IsReadOnlyAndTmpIsPrivate()
    {
        var layout = await LayoutAsync();
        var outside = Path.Combine(Path.GetTempPath(), "drover-bwrap-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(outside, "host tmp");
        try
        {
            var (exit, lines) = await RunAsync(layout,
                $"touch /usr/drover-probe 2>/dev/null && echo SYSTEM-WRITABLE; cat '{outside}' 2>/dev/null && echo TMP-SHARED; echo x > /tmp/mine && echo TMP-OK");

            exit.ShouldBe(0, string.Join('\n', lines));
            lines.ShouldNotContain(l => l.Contains("SYSTEM-WRITABLE", StringComparison.Ordinal) || l.Contains("TMP-SHARED", StringComparison.Ordinal));
            lines.ShouldContain(l => l.Contains("TMP-OK", StringComparison.Ordinal));
            File.Exists("/usr/drover-probe").ShouldBeFalse();
            File.Exists("/tmp/mine").ShouldBeFalse();
        }
        finally
        {
            File.Delete(outside);
        }
    }

    [Fact]
    public async Task Wrap_OwnPidNamespace_CannotSeeOrSignalDrover()
    {
        var layout = await LayoutAsync();
        var me = Environment.ProcessId;

        var (exit, lines) = await RunAsync(layout, $"kill -0 {me} 2>/dev/null && echo SIGNALLED; ls /proc | grep -c '^[0-9]*$'");

        exit.ShouldBe(0, string.Join('\n', lines));
        lines.ShouldNotContain(l => l.Contains("SIGNALLED", StringComparison.Ordinal));
        var visible = lines.Select(l => l.Split(' ').Last().Trim()).Last(l => l.Length > 0 && l.All(char.IsAsciiDigit));
        int.Parse(visible, System.Globalization.CultureInfo.InvariantCulture).ShouldBeLessThan(10, "only the sandbox's own few processes are visible");
    }

    [Fact]
    public async Task Wrap_NoNetwork_CannotReachHostLoopback()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var closed = await RunAsync(await LayoutAsync(network: false), $"echo hi > /dev/tcp/127.0.0.1/{port} && echo CONNECTED");
        closed.Lines.ShouldNotContain(l => l.Contains("CONNECTED", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Wrap_Network_ReachesHostLoopback()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var open = await RunAsync(await LayoutAsync(network: true), $"echo hi > /dev/tcp/127.0.0.1/{port} && echo CONNECTED");
        open.Lines.ShouldContain(l => l.Contains("CONNECTED", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Wrap_GroupKilledOnTimeout_NothingInsideSurvives()
    {
        var layout = await LayoutAsync();
        var pidFile = Path.Combine(layout.Workspace, "pid");
        var argv = Bubblewrap.Wrap(Bubblewrap.DefaultPath, layout, ["/bin/sh", "-c", "sleep 300 & echo $! > pid; wait"]);

        var result = await Runner.RunAsync(
            new ProcessRunRequest(argv, layout.Workspace, Log) { Timeout = TimeSpan.FromSeconds(2), KillGrace = TimeSpan.FromSeconds(1) }, Ct);

        result.Killed.ShouldBe(KillReason.Timeout);
        await ShouldAllBeDeadAsync(result.Pid);
        File.Exists(pidFile).ShouldBeTrue();
    }
}
