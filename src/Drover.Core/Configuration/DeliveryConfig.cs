using System.Text.RegularExpressions;

namespace Drover.Core.Configuration;

/// <summary>
/// <c>[delivery]</c> (SPEC §12): how a succeeded job's branch leaves its host. <see cref="Remote"/> names the remote a
/// local repository pushes to (a URL repo pushes to its URL); <see cref="Link"/> is the job's address written into pull
/// requests and tracker comments (<c>{id}</c> is replaced); <see cref="MaxTries"/> bounds the tries of a delivery a forge
/// keeps refusing for a reason that may pass, <see cref="Backoff"/> spaces them; <see cref="MaxFollowups"/> caps the follow-up jobs one pull request gets
/// from failed checks and reviews.
/// </summary>
public sealed record DeliveryConfig
{
    public string Remote { get; init; } = "origin";

    public string? Link { get; init; }

    public int MaxTries { get; init; } = 8;

    /// <summary>The wait before the second try; each later wait doubles, up to 30 minutes (or the forge's own Retry-After).</summary>
    public TimeSpan Backoff { get; init; } = TimeSpan.FromSeconds(15);

    public int MaxFollowups { get; init; } = 3;

    /// <summary>The job's address for pull requests and comments, or null when <see cref="Link"/> is not set.</summary>
    public string? LinkFor(long jobId) =>
        Link?.Replace("{id}", jobId.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
}

public static partial class DroverConfigLoader
{
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")]
    private static partial Regex RemoteName();

    private static DeliveryConfig Delivery(TomlSection? s)
    {
        if (s is null)
            return new DeliveryConfig();
        s.AllowOnly("remote", "link", "max_tries", "backoff", "max_followups");
        var remote = s.String("remote") ?? "origin";
        if (!RemoteName().IsMatch(remote))
            throw s.Error("remote", $"{Specs.SpecGrammar.Quote(remote)} is not a git remote name");
        var link = s.String("link");
        if (link is not null && (!Uri.TryCreate(link.Replace("{id}", "1", StringComparison.Ordinal), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            throw s.Error("link", $"{Specs.SpecGrammar.Quote(link)} is not an http(s) URL ({{id}} stands for the job id)");
        return new DeliveryConfig
        {
            Remote = remote,
            Link = link,
            MaxTries = (int)(s.Integer("max_tries", 1, 100) ?? 8),
            Backoff = s.Duration("backoff", TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)) ?? TimeSpan.FromSeconds(15),
            MaxFollowups = (int)(s.Integer("max_followups", 0, 100) ?? 3),
        };
    }
}
