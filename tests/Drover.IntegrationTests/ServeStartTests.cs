using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Drover.IntegrationTests;

/// <summary>What `serve` says when it cannot start.</summary>
public sealed class ServeStartTests
{
    [Fact]
    public async Task Serve_PortInUse_SaysSoAndExits2_WithoutAStackTrace()
    {
        using var t = new TestHome();
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);

        var r = await t.Cli.RunAsync("serve", "--port", port, "--slots", "0");

        r.ExitCode.ShouldBe(2, r.ToString());
        r.Stderr.ShouldContain($"port {port} is in use (use --port)");
        (r.Stdout + r.Stderr).ShouldNotContain("   at ");
        (r.Stdout + r.Stderr).ShouldNotContain("Exception");
        File.Exists(Path.Combine(t.Home, "server.json")).ShouldBeFalse();
    }
}
