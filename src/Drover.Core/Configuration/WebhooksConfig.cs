using System.Text.RegularExpressions;
using Tomlyn.Model;
using Tomlyn.Serialization;

namespace Drover.Core.Configuration;

/// <summary>
/// <c>[webhooks]</c>: the secret-store names of the HMAC secrets forges sign <c>POST /hooks/github</c> and
/// <c>/hooks/gitea</c> with (SPEC §12). An endpoint whose secret is not named answers 404.
/// </summary>
public sealed record WebhooksConfig
{
    public string? GithubSecret { get; init; }
    public string? GiteaSecret { get; init; }

    /// <summary>The secret name for a forge kind (<c>github</c>, <c>gitea</c>), or null when not configured.</summary>
    public string? SecretFor(string kind) => kind switch
    {
        "github" => GithubSecret,
        "gitea" => GiteaSecret,
        _ => null,
    };
}

/// <summary>
/// <c>[[trackers]]</c>: a forge repository whose issues carrying <see cref="Label"/> become jobs (SPEC §12), run in the
/// local repository at <see cref="Path"/>.
/// </summary>
public sealed record TrackerConfig
{
    /// <summary>github | gitea.</summary>
    public required string Kind { get; init; }

    /// <summary><c>owner/name</c> on the forge.</summary>
    public required string Repo { get; init; }

    public string Label { get; init; } = "drover";

    /// <summary>The repository the jobs run in: an absolute local path or a git URL (SPEC §12).</summary>
    public required string Path { get; init; }

    /// <summary>The profile of this tracker's jobs (an issue's <c>profile:NAME</c> label overrides it); null: <c>default</c>.</summary>
    public string? Profile { get; init; }

    /// <summary>
    /// The <c>[[forges]]</c> host whose API and token polling and status comments use; null: none configured for this
    /// kind, so the tracker takes webhooks only.
    /// </summary>
    public string? Host { get; init; }

    /// <summary>How often <c>serve</c> lists the tracker's labelled issues; null: never (webhooks only).</summary>
    public TimeSpan? Poll { get; init; }

    /// <summary>The key prefix of this tracker's jobs and their <c>tracker</c> field: <c>github:owner/name#</c>.</summary>
    public string Reference(long number) => $"{Kind}:{Repo}#{number.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
}

public static partial class DroverConfigLoader
{
    [GeneratedRegex(@"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")]
    private static partial Regex ForgeRepo();

    private static WebhooksConfig Webhooks(TomlSection? s)
    {
        if (s is null)
            return new WebhooksConfig();
        s.AllowOnly("github_secret", "gitea_secret");
        var github = s.String("github_secret");
        var gitea = s.String("gitea_secret");
        SecretName(s, "github_secret", github);
        SecretName(s, "gitea_secret", gitea);
        return new WebhooksConfig { GithubSecret = github, GiteaSecret = gitea };
    }

    private static List<TrackerConfig> Trackers(TomlTable root, string source, TomlMetadataStore metadata, IReadOnlyList<ForgeConfig> forges)
    {
        var result = new List<TrackerConfig>();
        foreach (var t in TableArray(root, "trackers", source, metadata))
        {
            t.AllowOnly("kind", "repo", "label", "path", "profile", "host", "poll");
            var kind = t.String("kind") ?? throw t.Error("kind", "is required (github or gitea)");
            if (kind is not ("github" or "gitea"))
                throw t.Error("kind", $"{Specs.SpecGrammar.Quote(kind)} is not one of github, gitea");
            var repo = t.String("repo") ?? throw t.Error("repo", "is required (owner/name)");
            if (!ForgeRepo().IsMatch(repo))
                throw t.Error("repo", $"{Specs.SpecGrammar.Quote(repo)} is not a repository name like owner/name");
            var label = t.String("label") ?? "drover";
            if (label.Length is 0 or > 100)
                throw t.Error("label", "must be 1 to 100 characters");
            var path = t.String("path") ?? throw t.Error("path", "is required (the repository jobs run in: a local path or a git URL)");
            if (Core.Workspaces.RepoUrl.IsUrl(path))
            {
                if (Core.Workspaces.RepoUrl.Problem(path) is { } problem)
                    throw t.Error("path", $"{Specs.SpecGrammar.Quote(path)}: {problem}");
            }
            else if (!System.IO.Path.IsPathFullyQualified(path))
            {
                throw t.Error("path", $"{Specs.SpecGrammar.Quote(path)} is not an absolute path or a git URL");
            }
            var profile = t.String("profile");
            if (profile is not null && !Specs.SpecGrammar.ProfileName().IsMatch(profile))
                throw t.Error("profile", $"{Specs.SpecGrammar.Quote(profile)} is not a valid profile name");
            if (result.Any(r => r.Kind == kind && string.Equals(r.Repo, repo, StringComparison.OrdinalIgnoreCase)))
                throw t.Error("repo", $"{kind}:{repo} is configured twice");
            var (host, poll) = TrackerForge(t, kind, forges);
            result.Add(new TrackerConfig { Kind = kind, Repo = repo, Label = label, Path = path, Profile = profile, Host = host, Poll = poll });
        }

        return result;
    }

    /// <summary>
    /// The tracker's forge and poll interval. <c>host</c> defaults to github.com for github and to the one gitea
    /// <c>[[forges]]</c> entry for gitea; without a forge the tracker is webhooks-only, unless it asked for polling.
    /// </summary>
    private static (string? Host, TimeSpan? Poll) TrackerForge(TomlSection t, string kind, IReadOnlyList<ForgeConfig> forges)
    {
        var host = t.String("host")?.ToLowerInvariant();
        if (host is not null)
        {
            var forge = forges.FirstOrDefault(f => f.Host == host)
                ?? throw t.Error("host", $"{Specs.SpecGrammar.Quote(host)} is not a [[forges]] host (add a [[forges]] entry with host = {Specs.SpecGrammar.Quote(host)}, kind = \"{kind}\" and token_secret)");
            if (forge.Kind != kind)
                throw t.Error("host", $"[[forges]] host {Specs.SpecGrammar.Quote(host)} is kind {forge.Kind}, not {kind}");
        }
        else
        {
            var ofKind = forges.Where(f => f.Kind == kind).ToList();
            host = kind == "github" ? ofKind.FirstOrDefault(f => f.Host == "github.com")?.Host : ofKind.Count == 1 ? ofKind[0].Host : null;
        }

        var pollText = t.String("poll");
        TimeSpan? poll = TimeSpan.FromMinutes(5);
        if (pollText is "off" or "0")
            poll = null;
        else if (pollText is not null)
            poll = t.Duration("poll", TimeSpan.FromSeconds(10), TimeSpan.FromDays(1));
        if (host is null && pollText is not null && poll is not null)
            throw t.Error("poll", $"polling needs the forge's API: add a [[forges]] entry of kind {kind} and name it with host, or set poll = \"off\" for webhooks only");
        return (host, host is null ? null : poll);
    }
}
