using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Drover.IntegrationTests.Gateway;
using Drover.Storage.Postgres.Testing;

namespace Drover.IntegrationTests.Sandbox;

/// <summary>
/// A real <c>drover serve</c> with the gateway on runs a shell job in its sandbox (SPEC §13), on both stores: the job
/// does its work and reaches the gateway, but cannot read the token, the secrets file or the database, cannot see a
/// variable of serve's environment, and cannot reach another service on the host's loopback.
/// </summary>
public sealed class ConfinementTests(PostgresCluster pg) : IClassFixture<PostgresCluster>
{
    private const string WorkerSecret = "sk-worker-own-provider-key-0123456789";

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    [InlineData("sqlite-tls")]
    public async Task ShellJob_GatewayNetwork_DoesItsWorkButReachesNothingOfDrover(string store)
    {
        using var t = new TestHome();
        if (Drover.Engines.Sandbox.AttemptSandbox.Probe("/usr/bin/bwrap") is { } why)
            Assert.Skip("no sandbox on this host: " + why);
        if (store == "postgres")
            t.Cli.Env["DROVER_STORE"] = pg.StoreUrl(await pg.NewDatabaseAsync());
        await using var upstream = await FakeUpstream.StartAsync("a");
        using var other = new TcpListener(IPAddress.Loopback, 0);
        other.Start();
        var otherPort = ((IPEndPoint)other.LocalEndpoint).Port;
        t.Cli.Env["ANTHROPIC_API_KEY"] = WorkerSecret;
        t.Cli.Env["DROVER_PROBE_VARIABLE"] = WorkerSecret;
        var tls = "";
        if (store == "sqlite-tls")
        {
            // Under TLS the agent still gets a plain http address: its relay reaches the gateway's Unix socket.
            using var cert = Security.BindTlsTests.WriteSelfSigned(t.Home, out var certPath, out var keyPath);
            tls = $"[server]\ntls_cert = {JsonSerializer.Serialize(certPath)}\ntls_key = {JsonSerializer.Serialize(keyPath)}\n\n";
        }

        await File.WriteAllTextAsync(Path.Combine(t.Home, "drover.toml"), tls + $$"""
            [gateway]
            enabled = true

            [[providers]]
            name = "a"
            base_url = "{{upstream.BaseUrl}}"
            models = ["model-a"]
            """, TestContext.Current.CancellationToken);
        (await t.Cli.RunAsync("secret", "set", "PROBE_SECRET", "the-stored-secret-value-42")).ExitCode.ShouldBe(0);
        await File.WriteAllTextAsync(Path.Combine(t.Scratch, "probe.sh"), $$"""
            home='{{t.Home}}'
            for f in token secrets drover.db drover.toml; do [ -e "$home/$f" ] && echo "LEAK $f visible"; done
            cat "$home/token" "$home/secrets" 2>/dev/null | grep -q . && echo "LEAK read"
            env | grep -q '{{WorkerSecret}}' && echo "LEAK worker env"
            (exec 3<>/dev/tcp/127.0.0.1/{{otherPort}}) 2>/dev/null && echo "LEAK host loopback"
            port=${OPENAI_BASE_URL#http://127.0.0.1:}; port=${port%%/*}
            exec 3<>/dev/tcp/127.0.0.1/$port || { echo "NO GATEWAY"; exit 3; }
            printf 'GET /v1/models HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n' "$OPENAI_API_KEY" >&3
            head -1 <&3 > models-status.txt
            exec 4<>/dev/tcp/127.0.0.1/$port
            printf 'GET /api/jobs HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&4
            head -1 <&4 > api-status.txt
            echo "home=$HOME" > work.txt
            """, TestContext.Current.CancellationToken);
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "1"]);
        await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));

        var submit = await t.Cli.RunInAsync(t.Scratch, "submit", "--command", "bash probe.sh", "--json");
        submit.ExitCode.ShouldBe(0, submit.ToString());
        var id = submit.Json.GetProperty("id").GetInt64();
        var job = await t.WaitForJobAsync(id, j => j.GetProperty("state").GetString() is "succeeded" or "failed", TimeSpan.FromSeconds(90));

        var logs = await t.Cli.RunAsync("logs", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        job.GetProperty("state").GetString().ShouldBe("succeeded", job + "\n" + logs);
        logs.Stdout.ShouldNotContain("LEAK");
        logs.Stdout.ShouldContain("sandbox: confined (network gateway)");
        File.ReadAllText(Path.Combine(t.Scratch, "models-status.txt")).ShouldContain("200", customMessage: "the gateway answers through the relay");
        File.ReadAllText(Path.Combine(t.Scratch, "api-status.txt")).ShouldContain("404", customMessage: "only /v1 answers on the gateway's socket");
        File.ReadAllText(Path.Combine(t.Scratch, "work.txt")).ShouldContain("/agent-home");
        (await t.Cli.RunAsync("workers", "--json")).Stdout.ShouldContain("\"sandbox\"", customMessage: "a confining worker offers the sandbox capability");
    }

    [Fact]
    public async Task Required_HostCannotSandbox_ClaimsNothingAndWhySaysSo()
    {
        using var t = new TestHome();
        await File.WriteAllTextAsync(Path.Combine(t.Home, "drover.toml"), """
            [sandbox]
            mode = "required"
            bwrap = "/nonexistent/bwrap"
            """, TestContext.Current.CancellationToken);
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "1"]);
        await t.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));

        var submit = await t.Cli.RunInAsync(t.Scratch, "submit", "--command", "touch ran.txt", "--json");
        submit.ExitCode.ShouldBe(0, submit.ToString());
        var id = submit.Json.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
        await Task.Delay(3000, TestContext.Current.CancellationToken);

        var show = await t.Cli.RunAsync("show", id, "--json");
        var text = await t.Cli.RunAsync("show", id);
        show.Json.GetProperty("state").GetString().ShouldBe("queued", show.Stdout);
        File.Exists(Path.Combine(t.Scratch, "ran.txt")).ShouldBeFalse();
        text.Stdout.ShouldContain("cannot confine attempts", customMessage: text.ToString());
        text.Stdout.ShouldContain("/nonexistent/bwrap is missing");
        (await t.Cli.RunAsync("workers", "--json")).Stdout.ShouldNotContain("\"sandbox\"");
    }
}
