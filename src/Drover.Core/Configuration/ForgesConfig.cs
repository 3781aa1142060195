using Drover.Core.Specs;
using Tomlyn;
using Tomlyn.Model;
using Tomlyn.Parsing;
using Tomlyn.Serialization;

namespace Drover.Core.Configuration;

/// <summary>
/// <c>[[forges]]</c> (SPEC §12): a git host and the secret holding its token. Drover hands the token
/// to the git it runs itself (fetch, later push) through a credential helper; agents never see it.
/// </summary>
public sealed record ForgeConfig
{
    /// <summary>The host name as it appears in repo URLs (lower case), e.g. <c>github.com</c>.</summary>
    public required string Host { get; init; }

    /// <summary><c>github</c> or <c>gitea</c> (Gitea and Forgejo).</summary>
    public required string Kind { get; init; }

    /// <summary>The forge's API root (GitHub Enterprise, a Gitea server); null: the kind's public default.</summary>
    public Uri? BaseUrl { get; init; }

    /// <summary>The secret store entry holding the token.</summary>
    public required string TokenSecret { get; init; }
}

public static partial class DroverConfigLoader
{
    private static List<ForgeConfig> Forges(TomlTable root, string source, TomlMetadataStore metadata)
    {
        var result = new List<ForgeConfig>();
        foreach (var f in TableArray(root, "forges", source, metadata))
        {
            f.AllowOnly("host", "kind", "base_url", "token_secret");
            var host = (f.String("host") ?? throw f.Error("host", "is required (the host name in repo URLs, like github.com)")).ToLowerInvariant();
            if (Uri.CheckHostName(host) == UriHostNameType.Unknown)
                throw f.Error("host", $"{SpecGrammar.Quote(host)} is not a host name (no scheme, path or port)");
            if (result.Any(r => r.Host == host))
                throw f.Error("host", $"{SpecGrammar.Quote(host)} is defined twice");
            var kind = f.String("kind") ?? throw f.Error("kind", "is required (github or gitea)");
            if (kind is not ("github" or "gitea"))
                throw f.Error("kind", $"{SpecGrammar.Quote(kind)} is not one of github, gitea");
            Uri? baseUrl = null;
            if (f.String("base_url") is { } url
                && (!Uri.TryCreate(url, UriKind.Absolute, out baseUrl) || baseUrl.Scheme is not ("http" or "https")))
                throw f.Error("base_url", $"{SpecGrammar.Quote(url)} is not an http(s) URL");
            if (kind == "gitea" && baseUrl is null)
                throw f.Error("base_url", "is required for a gitea forge (the server's URL)");
            var secret = f.String("token_secret") ?? throw f.Error("token_secret", "is required (the secret store entry holding the token; drover secret set NAME)");
            SecretName(f, "token_secret", secret);
            result.Add(new ForgeConfig { Host = host, Kind = kind, BaseUrl = baseUrl, TokenSecret = secret });
        }

        return result;
    }
}
