using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Drover.Server.Hosting;

/// <summary>
/// Where and how `serve` listens: the bound address, and HTTPS when <c>[server] tls_cert</c>/<c>tls_key</c> are set.
/// Plain HTTP leaves this machine only when the operator says so (<c>--insecure-bind</c>): the bearer token and the
/// dashboard's session cookie would cross the network in clear text.
/// </summary>
public sealed class ListenPlan : IDisposable
{
    private ListenPlan(IPAddress address, X509Certificate2? certificate, bool insecure)
    {
        Address = address;
        Certificate = certificate;
        InsecureBind = insecure;
    }

    public IPAddress Address { get; }

    /// <summary>The HTTPS certificate (with its key), or null for plain HTTP.</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>True when plain HTTP is served beyond loopback because the operator passed --insecure-bind.</summary>
    public bool InsecureBind { get; }

    public bool Tls => Certificate is not null;

    public string Scheme => Tls ? "https" : "http";

    /// <summary>0.0.0.0 or ::: every interface of this host.</summary>
    public bool AllInterfaces => Address.Equals(IPAddress.Any) || Address.Equals(IPAddress.IPv6Any);

    /// <summary>
    /// Checks the bind against the TLS settings. Relative certificate paths are under <paramref name="home"/>.
    /// Throws <see cref="ArgumentException"/> (bad input) for plain HTTP beyond loopback without
    /// <paramref name="insecureBind"/>, and for a certificate or key that cannot be loaded.
    /// </summary>
    public static ListenPlan Create(string bind, string? tlsCert, string? tlsKey, bool insecureBind, string home)
    {
        var address = bind == "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(bind, out var parsed) ? parsed
            : throw new ArgumentException($"--bind: \"{bind}\" is not an IP address (like 127.0.0.1)");
        if (tlsCert is not null && tlsKey is not null)
            return new ListenPlan(address, LoadCertificate(Path.GetFullPath(tlsCert, home), Path.GetFullPath(tlsKey, home)), insecure: false);
        if (IPAddress.IsLoopback(address) || insecureBind)
            return new ListenPlan(address, null, insecure: !IPAddress.IsLoopback(address));
        throw new ArgumentException(
            $"--bind {bind} is not a loopback address, and serving it over plain HTTP would send the API's bearer token and " +
            "the dashboard's session cookies in clear text to anyone on the network. Set [server] tls_cert and tls_key " +
            "(PEM files) in drover.toml to serve HTTPS, or pass --insecure-bind to accept the risk.");
    }

    /// <summary>The URL a client on this host uses (server.json): the bound address, or loopback for every interface.</summary>
    public string LocalUrl(int port)
    {
        var host = !AllInterfaces ? Address : Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;
        return $"{Scheme}://{new IPEndPoint(host, port)}";
    }

    /// <summary>What `serve` prints: the bound address, or for every interface this host's name, saying so.</summary>
    public string Describe(int port) => AllInterfaces
        ? $"{Scheme}://{Dns.GetHostName()}:{port.ToString(CultureInfo.InvariantCulture)} (all interfaces)"
        : LocalUrl(port);

    public void Dispose() => Certificate?.Dispose();

    private static X509Certificate2 LoadCertificate(string cert, string key)
    {
        try
        {
            return X509Certificate2.CreateFromPemFile(cert, key);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new ArgumentException($"[server] tls_cert {cert} and tls_key {key} could not be loaded as PEM certificate and key: {e.Message}", e);
        }
    }
}
