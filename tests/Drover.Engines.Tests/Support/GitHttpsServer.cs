using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Drover.Engines.Tests.Support;

/// <summary>
/// git's smart HTTP on 127.0.0.1 over TLS: Kestrel in front of the real <c>git http-backend</c> (CGI),
/// serving the bare repos under <see cref="Root"/> to requests with basic auth whose password is the token.
/// The self-signed certificate is trusted by git through GIT_SSL_CAINFO.
/// </summary>
public sealed class GitHttpsServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _authorized;
    private int _refused;

    private GitHttpsServer(WebApplication app, string root, string token, string caFile)
    {
        _app = app;
        Root = root;
        Token = token;
        CaFile = caFile;
    }

    public string Root { get; }
    public string Token { get; }
    public string CaFile { get; }
    public int Authorized => _authorized;
    public int Refused => _refused;
    public string BaseUrl => _app.Urls.First();

    public static async Task<GitHttpsServer> StartAsync(string root, string token, string dir, CancellationToken ct)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var cert = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
        var caFile = Path.Combine(dir, "ca.pem");
        await File.WriteAllTextAsync(caFile, created.ExportCertificatePem(), ct);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o =>
        {
            o.Protocols = HttpProtocols.Http1;
            o.UseHttps(cert);
        }));
        var app = builder.Build();
        var server = new GitHttpsServer(app, root, token, caFile);
        app.Run(server.HandleAsync);
        await app.StartAsync(ct);
        return server;
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("x-access-token:" + Token));
        if (ctx.Request.Headers.Authorization.ToString() != expected)
        {
            Interlocked.Increment(ref _refused);
            ctx.Response.StatusCode = 401;
            ctx.Response.Headers.WWWAuthenticate = "Basic realm=\"git\"";
            return;
        }

        Interlocked.Increment(ref _authorized);
        var psi = new ProcessStartInfo("git", ["http-backend"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        psi.Environment["GIT_PROJECT_ROOT"] = Root;
        psi.Environment["GIT_HTTP_EXPORT_ALL"] = "1";
        psi.Environment["REQUEST_METHOD"] = ctx.Request.Method;
        psi.Environment["PATH_INFO"] = ctx.Request.Path.Value ?? "/";
        psi.Environment["QUERY_STRING"] = ctx.Request.QueryString.HasValue ? ctx.Request.QueryString.Value![1..] : "";
        psi.Environment["CONTENT_TYPE"] = ctx.Request.ContentType ?? "";
        psi.Environment["REMOTE_USER"] = "x-access-token";
        psi.Environment["REMOTE_ADDR"] = "127.0.0.1";
        psi.Environment["HTTP_CONTENT_ENCODING"] = ctx.Request.Headers.ContentEncoding.ToString();
        psi.Environment["GIT_PROTOCOL"] = ctx.Request.Headers["Git-Protocol"].ToString();
        using var process = Process.Start(psi)!;
        await ctx.Request.Body.CopyToAsync(process.StandardInput.BaseStream, ctx.RequestAborted);
        process.StandardInput.Close();

        var stdout = process.StandardOutput.BaseStream;
        var header = new MemoryStream();
        int b;
        while ((b = stdout.ReadByte()) >= 0)
        {
            header.WriteByte((byte)b);
            var text = Encoding.ASCII.GetString(header.GetBuffer(), 0, (int)header.Length);
            if (text.EndsWith("\r\n\r\n", StringComparison.Ordinal) || text.EndsWith("\n\n", StringComparison.Ordinal))
                break;
        }

        foreach (var line in Encoding.ASCII.GetString(header.ToArray()).Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var (name, value) = (line[..colon], line[(colon + 1)..].Trim());
            if (name.Equals("Status", StringComparison.OrdinalIgnoreCase))
                ctx.Response.StatusCode = int.Parse(value.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            else
                ctx.Response.Headers[name] = value;
        }

        await stdout.CopyToAsync(ctx.Response.Body, ctx.RequestAborted);
        await process.WaitForExitAsync(ctx.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
