using System.Text;
using System.Text.RegularExpressions;

namespace Drover.Core.Workspaces;

/// <summary>
/// A job's <c>repo</c> given as a git URL (SPEC §12): <c>https://</c>, <c>ssh://</c>, scp-like
/// <c>git@host:owner/repo.git</c> or <c>file://</c>. Nothing else: git's <c>ext::</c>/<c>fd::</c>
/// transports run commands, and credentials belong in <c>[[forges]]</c>, never in a spec.
/// </summary>
public static partial class RepoUrl
{
    /// <summary>The transports Drover lets git use for a fetch (GIT_ALLOW_PROTOCOL).</summary>
    public const string AllowedProtocols = "file:git:http:https:ssh";

    [GeneratedRegex(@"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!//)[^\s]+$")]
    private static partial Regex ScpLike();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.-]*::")]
    private static partial Regex TransportPrefix();

    /// <summary>Whether <paramref name="repo"/> is meant as a URL rather than a path (it may still be refused by <see cref="Problem"/>).</summary>
    public static bool IsUrl(string repo) =>
        repo.Contains("://", StringComparison.Ordinal) || TransportPrefix().IsMatch(repo) || ScpLike().IsMatch(repo);

    /// <summary>Why <paramref name="url"/> is not an acceptable repo URL, or null when it is.</summary>
    public static string? Problem(string url)
    {
        if (TransportPrefix().IsMatch(url))
            return $"git's \"{url[..url.IndexOf("::", StringComparison.Ordinal)]}::\" transport is not allowed (use https://, ssh://, git@host:owner/repo.git or file://)";
        if (url.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            return "must not contain spaces or control characters";
        if (ScpLike().IsMatch(url))
            return null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
            return "is not a valid URL";
        if (uri.Scheme is not ("https" or "ssh" or "file"))
            return $"the \"{uri.Scheme}\" scheme is not allowed (use https://, ssh://, git@host:owner/repo.git or file://)";
        if (uri.UserInfo.Contains(':', StringComparison.Ordinal) || (uri.Scheme == "https" && uri.UserInfo.Length > 0))
            return "must not hold credentials: put credentials in [[forges]], not the URL";
        if (uri.Scheme == "file" && (uri.Host.Length > 0 || !uri.AbsolutePath.StartsWith('/')))
            return "a file:// URL must name an absolute local path (file:///srv/git/repo.git)";
        if (uri.Scheme != "file" && uri.Host.Length == 0)
            return "names no host";
        if (uri.AbsolutePath.Length <= 1)
            return "names no repository path";
        return null;
    }

    /// <summary>The host a URL reaches (lower case), or null for <c>file://</c>.</summary>
    public static string? Host(string url)
    {
        if (ScpLike().IsMatch(url))
            return url[(url.IndexOf('@', StringComparison.Ordinal) + 1)..url.IndexOf(':', StringComparison.Ordinal)].ToLowerInvariant();
        return Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme != "file" ? uri.Host.ToLowerInvariant() : null;
    }

    /// <summary>Whether git reaches <paramref name="url"/> over https (the only transport a forge token is handed to).</summary>
    public static bool IsHttps(string url) => url.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The mirror's path under <c>&lt;home&gt;/repos</c>: host and path, each segment reduced to
    /// [A-Za-z0-9._-] (never "." or ".."), ending in <c>.git</c>; <c>file://</c> URLs live under <c>local/</c>.
    /// </summary>
    public static string MirrorRelativePath(string url)
    {
        string host, path;
        if (ScpLike().IsMatch(url))
        {
            var colon = url.IndexOf(':', StringComparison.Ordinal);
            host = url[(url.IndexOf('@', StringComparison.Ordinal) + 1)..colon];
            path = url[(colon + 1)..];
        }
        else
        {
            var uri = new Uri(url);
            host = uri.Scheme == "file" ? "local" : uri.IsDefaultPort ? uri.Host : $"{uri.Host}_{uri.Port}";
            path = Uri.UnescapeDataString(uri.AbsolutePath);
        }

        var segments = new List<string> { Sanitize(host.ToLowerInvariant()) };
        segments.AddRange(path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Sanitize));
        var last = segments[^1];
        if (last.EndsWith(".git", StringComparison.Ordinal))
            last = last[..^4];
        segments[^1] = (last.Length == 0 ? "_" : last) + ".git";
        return Path.Combine([.. segments]);
    }

    private static string Sanitize(string segment)
    {
        var b = new StringBuilder(segment.Length);
        foreach (var c in segment)
            b.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_');
        var s = b.ToString();
        return s is "" or "." or ".." ? "_" : s;
    }
}
