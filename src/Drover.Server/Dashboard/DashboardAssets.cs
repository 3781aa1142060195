using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;

namespace Drover.Server.Dashboard;

/// <summary>One file of the dashboard, read once from the assembly's embedded resources.</summary>
public sealed record DashboardAsset(string Path, byte[] Bytes, string ContentType, string ETag);

/// <summary>
/// The files under <c>Dashboard/wwwroot</c>, embedded in this assembly as <c>dashboard/&lt;relative path&gt;</c>: the
/// dashboard ships inside the binary, so no file on disk (and no other host) is ever needed to serve it.
/// </summary>
public static class DashboardAssets
{
    private const string Prefix = "dashboard/";

    private static readonly Lazy<FrozenDictionary<string, DashboardAsset>> All = new(Load);

    /// <summary>The asset at a URL path like <c>/js/jobs.js</c>; <c>/</c> is <c>index.html</c>.</summary>
    public static DashboardAsset? Find(string? urlPath)
    {
        var key = string.IsNullOrEmpty(urlPath) || urlPath == "/" ? "/index.html" : urlPath;
        return All.Value.GetValueOrDefault(key);
    }

    public static IReadOnlyCollection<string> Paths => All.Value.Keys;

    private static FrozenDictionary<string, DashboardAsset> Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var assets = new Dictionary<string, DashboardAsset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(Prefix, StringComparison.Ordinal))
                continue;
            var path = "/" + name[Prefix.Length..].Replace('\\', '/');
            var bytes = Read(assembly, name);
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes))[..16] + "\"";
            assets[path] = new DashboardAsset(path, bytes, ContentTypeOf(path), etag);
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static byte[] Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException("missing resource " + name);
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return ms.ToArray();
    }

    private static string ContentTypeOf(string path) => System.IO.Path.GetExtension(path) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".json" => "application/json; charset=utf-8",
        ".png" => "image/png",
        ".ico" => "image/x-icon",
        _ => "application/octet-stream",
    };
}
