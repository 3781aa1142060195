using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Drover.IntegrationTests.Security;

/// <summary>Plain HTTP stays on loopback unless the operator insists; TLS serves HTTPS and says so.</summary>
public sealed class BindTlsTests
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    public async Task Serve_NonLoopbackBindWithoutTls_Exits2SayingWhy(string bind)
    {
        using var t = new TestHome();

        var (exit, output) = await ServeUntilExitAsync(t, "--bind", bind);

        exit.ShouldBe(2, output);
        output.ShouldContain("clear text");
        output.ShouldContain("tls_cert");
        output.ShouldContain("--insecure-bind");
        output.ShouldNotContain("Exception");
        File.Exists(Path.Combine(t.Home, "server.json")).ShouldBeFalse();
    }

    [Fact]
    public async Task Serve_NonLoopbackBindFromConfigWithoutTls_Exits2()
    {
        using var t = new TestHome();
        await File.WriteAllTextAsync(Path.Combine(t.Home, "drover.toml"), "[server]\nbind = \"0.0.0.0\"\n", TestContext.Current.CancellationToken);

        var (exit, output) = await ServeUntilExitAsync(t);

        exit.ShouldBe(2, output);
        output.ShouldContain("--bind 0.0.0.0 is not a loopback address");
    }

    [Fact]
    public async Task Serve_InsecureBindOnAllInterfaces_StartsWarnsAndPrintsTheTruth()
    {
        using var t = new TestHome();
        await using var serve = t.Cli.Start("serve", "--bind", "0.0.0.0", "--insecure-bind", "--port", "0", "--slots", "0");

        var url = await t.WaitForServerAsync(serve, Startup);
        using var http = t.Http(url);
        using var health = await http.GetAsync(new Uri("/healthz", UriKind.Relative), TestContext.Current.CancellationToken);
        serve.Signal(Native.SIGTERM);
        await serve.WaitForExitAsync(TimeSpan.FromSeconds(30));

        health.StatusCode.ShouldBe(HttpStatusCode.OK);
        url.ShouldStartWith("http://127.0.0.1:", Case.Sensitive, "this host's CLI reaches it on loopback");
        serve.Output.ShouldContain("clear text");
        serve.Output.ShouldContain($"drover: serving http://{Dns.GetHostName()}:{new Uri(url).Port} (all interfaces)");
    }

    [Fact]
    public async Task Serve_WithTlsCertificate_ServesHttpsOnlyAndPrintsHttpsUrl()
    {
        using var t = new TestHome();
        using var cert = WriteSelfSigned(t.Scratch, out var certPath, out var keyPath);
        await File.WriteAllTextAsync(
            Path.Combine(t.Home, "drover.toml"), $"[server]\ntls_cert = \"{certPath}\"\ntls_key = \"{keyPath}\"\n", TestContext.Current.CancellationToken);
        await using var serve = t.Cli.Start("serve", "--port", "0", "--slots", "0");

        var url = (await t.WaitForServerAsync(serve, Startup)).TrimEnd('/');
        using var handler = new HttpClientHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented is not null && presented.RawData.AsSpan().SequenceEqual(cert.RawData),
        };
        using var https = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        https.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", t.Token);
        using var status = await https.GetAsync(new Uri(url + "/api/status"), TestContext.Current.CancellationToken);
        using var plain = t.Http(url.Replace("https://", "http://", StringComparison.Ordinal));
        var plainFailed = false;
        try
        {
            using var r = await plain.GetAsync(new Uri("/healthz", UriKind.Relative), TestContext.Current.CancellationToken);
            plainFailed = r.StatusCode != HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            plainFailed = true;
        }

        using var browser = new DashboardClient(handler);
        var login = await browser.LoginAsync(url, await DashboardClient.LinkPathAsync(t));
        var cli = await t.Cli.RunAsync("status", "--json", "--url", url);

        url.ShouldStartWith("https://127.0.0.1:");
        serve.Output.ShouldContain($"drover: serving {url} ");
        status.StatusCode.ShouldBe(HttpStatusCode.OK);
        plainFailed.ShouldBeTrue("plain HTTP must not be served beside HTTPS");
        login.Status.ShouldBe(HttpStatusCode.Redirect, login.Body);
        login.SetCookie.ToLowerInvariant().ShouldContain("secure");
        cli.ExitCode.ShouldBe(0, "the CLI trusts its home's own certificate: " + cli);
    }

    [Fact]
    public async Task Serve_TlsKeyMissing_Exits2NamingTheFiles()
    {
        using var t = new TestHome();
        using var cert = WriteSelfSigned(t.Scratch, out var certPath, out var keyPath);
        File.Delete(keyPath);
        await File.WriteAllTextAsync(
            Path.Combine(t.Home, "drover.toml"), $"[server]\ntls_cert = \"{certPath}\"\ntls_key = \"{keyPath}\"\n", TestContext.Current.CancellationToken);

        var r = await t.Cli.RunAsync("serve", "--port", "0", "--slots", "0");

        r.ExitCode.ShouldBe(2, r.ToString());
        r.Stderr.ShouldContain(keyPath);
    }

    /// <summary>Runs serve on a free port until it exits (at most 60 s: a serve that starts is stopped, failing the test).</summary>
    private static async Task<(int? Exit, string Output)> ServeUntilExitAsync(TestHome t, params string[] args)
    {
        await using var serve = t.Cli.Start(["serve", "--port", "0", "--slots", "0", .. args]);
        var exited = await serve.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (exited ? serve.Process.ExitCode : null, serve.Output);
    }

    /// <summary>A self-signed certificate for 127.0.0.1, written as PEM certificate and PKCS#8 key files.</summary>
    internal static X509Certificate2 WriteSelfSigned(string dir, out string certPath, out string keyPath)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        var cert = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        certPath = Path.Combine(dir, "cert.pem");
        keyPath = Path.Combine(dir, "key.pem");
        File.WriteAllText(certPath, cert.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return cert;
    }
}
