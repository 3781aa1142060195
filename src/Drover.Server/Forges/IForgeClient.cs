namespace Drover.Server.Forges;

/// <summary>
/// The calls Drover makes to a forge's REST API (SPEC §12): pull requests for delivery; issues, comments and labels
/// for tracker intake and status echo. One client per <c>[[forges]]</c> host, GitHub or Gitea/Forgejo. Repositories
/// are named <c>owner/name</c>. Failures are <see cref="ForgeException"/>s that say whether a retry can help and when.
/// </summary>
public interface IForgeClient
{
    /// <summary><c>github</c> or <c>gitea</c>.</summary>
    string Kind { get; }

    /// <summary>The open pull request whose head branch is <paramref name="head"/>, or null.</summary>
    Task<ForgePull?> FindPullAsync(string repo, string head, CancellationToken ct);

    /// <summary>Opens a pull request; when the forge answers that one already exists for the head, returns that one.</summary>
    Task<ForgePull> CreatePullAsync(string repo, ForgePullDraft draft, CancellationToken ct);

    /// <summary>Replaces a pull request's title and body.</summary>
    Task<ForgePull> UpdatePullAsync(string repo, long number, string title, string body, CancellationToken ct);

    /// <summary>Asks the forge to merge the pull request once its checks pass.</summary>
    Task EnableAutomergeAsync(string repo, ForgePull pull, CancellationToken ct);

    /// <summary>Every open issue (not pull request) of <paramref name="repo"/> carrying <paramref name="label"/>, all pages.</summary>
    Task<IReadOnlyList<ForgeIssue>> ListIssuesAsync(string repo, string label, CancellationToken ct);

    /// <summary>One issue, or null when the forge has none by that number.</summary>
    Task<ForgeIssue?> GetIssueAsync(string repo, long number, CancellationToken ct);

    /// <summary>Adds a comment to an issue or pull request; returns the comment's id.</summary>
    Task<long> CommentAsync(string repo, long number, string body, CancellationToken ct);

    /// <summary>Adds labels to an issue (creating labels the repository lacks); labels already there are kept.</summary>
    Task AddLabelsAsync(string repo, long number, IReadOnlyList<string> labels, CancellationToken ct);

    /// <summary>Removes a label from an issue; a label the issue does not carry is not an error.</summary>
    Task RemoveLabelAsync(string repo, long number, string label, CancellationToken ct);
}

/// <summary>A pull request as the forge reports it. <see cref="NodeId"/> is GitHub's GraphQL id (null on Gitea).</summary>
public sealed record ForgePull(long Number, string HtmlUrl, string State, bool Draft, string Head, string Base, string? NodeId);

/// <summary>What to open: head branch (in the same repository), base branch, title, body, and whether as a draft.</summary>
public sealed record ForgePullDraft(string Head, string Base, string Title, string Body, bool Draft);

/// <summary>An issue: its number, title, body, <c>open</c>/<c>closed</c>, label names and when it last changed.</summary>
public sealed record ForgeIssue(long Number, string Title, string? Body, string State, IReadOnlyList<string> Labels, DateTimeOffset UpdatedAt);

/// <summary>
/// A forge call that failed. <see cref="Transient"/>: a retry later can succeed (5xx, timeouts, rate limits);
/// <see cref="RetryAt"/>: not before then (Retry-After, <c>x-ratelimit-reset</c>). The message never holds the token.
/// </summary>
public sealed class ForgeException(string message, int? status, bool transient, DateTimeOffset? retryAt = null, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>The HTTP status, or null when no answer came (timeout, refused connection).</summary>
    public int? Status { get; } = status;

    public bool Transient { get; } = transient;

    public DateTimeOffset? RetryAt { get; } = retryAt;
}
