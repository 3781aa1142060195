using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Drover.Server.Forges;

/// <summary>
/// GitHub's REST v3 API (github.com or GitHub Enterprise at <c>https://host/api/v3</c>). Auto-merge has no REST call,
/// so it goes through GraphQL's <c>enablePullRequestAutoMerge</c> with the pull's node id.
/// </summary>
public sealed partial class GitHubClient(HttpClient http, Uri baseUrl, Func<string?> token, TimeProvider time, TimeSpan timeout)
    : ForgeHttp(http, baseUrl, token, time, timeout), IForgeClient
{
    /// <summary>The public API root.</summary>
    public static readonly Uri PublicApi = new("https://api.github.com");

    private const int MaxPages = 100;

    public override string Kind => "github";

    protected override AuthenticationHeaderValue Authorization(string token) => new("Bearer", token);

    public async Task<ForgePull?> FindPullAsync(string repo, string head, CancellationToken ct)
    {
        var owner = repo.Split('/')[0];
        var answer = await SendAsync(HttpMethod.Get, $"{RepoPath(repo)}/pulls?head={Esc($"{owner}:{head}")}&state=open&per_page=100",
            null, $"find the pull request of {repo} from {head}", ct);
        return answer.Body is JsonArray pulls
            ? pulls.Where(p => Str(p?["head"], "ref") == head).Select(p => Pull(p!)).FirstOrDefault()
            : null;
    }

    public async Task<ForgePull> CreatePullAsync(string repo, ForgePullDraft draft, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var body = new JsonObject { ["title"] = draft.Title, ["head"] = draft.Head, ["base"] = draft.Base, ["body"] = draft.Body, ["draft"] = draft.Draft };
        try
        {
            var answer = await SendAsync(HttpMethod.Post, $"{RepoPath(repo)}/pulls", body, $"open a pull request on {repo} from {draft.Head}", ct);
            return Pull(answer.Body!);
        }
        catch (ForgeException e) when (AlreadyExists(e))
        {
            return await FindPullAsync(repo, draft.Head, ct)
                ?? throw new ForgeException($"{e.Message}, but no open pull request from {draft.Head} was found", e.Status, false, null, e);
        }
    }

    public async Task<ForgePull> UpdatePullAsync(string repo, long number, string title, string body, CancellationToken ct)
    {
        var answer = await SendAsync(HttpMethod.Patch, $"{RepoPath(repo)}/pulls/{N(number)}", new JsonObject { ["title"] = title, ["body"] = body },
            $"update pull request {repo}#{N(number)}", ct);
        return Pull(answer.Body!);
    }

    public async Task EnableAutomergeAsync(string repo, ForgePull pull, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(pull);
        var call = $"enable auto-merge of {repo}#{N(pull.Number)}";
        var nodeId = pull.NodeId
            ?? Str((await SendAsync(HttpMethod.Get, $"{RepoPath(repo)}/pulls/{N(pull.Number)}", null, call, ct)).Body, "node_id")
            ?? throw new ForgeException($"github {call}: the pull request has no node id", null, false);
        var query = new JsonObject
        {
            ["query"] = "mutation($id: ID!) { enablePullRequestAutoMerge(input: {pullRequestId: $id}) { pullRequest { number } } }",
            ["variables"] = new JsonObject { ["id"] = nodeId },
        };
        var answer = await SendAsync(HttpMethod.Post, GraphQlUrl(), query, call, ct);
        if (answer.Body?["errors"] is JsonArray { Count: > 0 } errors)
            throw new ForgeException($"github {call} failed: {string.Join("; ", errors.Select(e => Str(e, "message")).OfType<string>())}", answer.Status, false);
    }

    public async Task<IReadOnlyList<ForgeIssue>> ListIssuesAsync(string repo, string label, CancellationToken ct)
    {
        var issues = new List<ForgeIssue>();
        string? next = $"{RepoPath(repo)}/issues?labels={Esc(label)}&state=open&per_page=100";
        for (var page = 0; next is not null && page < MaxPages; page++)
        {
            var answer = await SendAsync(HttpMethod.Get, next, null, $"list the issues of {repo} labelled {label}", ct);
            if (answer.Body is JsonArray items)
            {
                // The issues list holds pull requests too; they carry a pull_request object.
                issues.AddRange(items.OfType<JsonObject>().Where(i => i["pull_request"] is not JsonObject).Select(Issue));
            }

            next = NextPage(Header(answer.Headers, "Link"));
        }

        return issues;
    }

    public async Task<ForgeIssue?> GetIssueAsync(string repo, long number, CancellationToken ct)
    {
        var answer = await SendAsync(HttpMethod.Get, $"{RepoPath(repo)}/issues/{N(number)}", null, $"read issue {repo}#{N(number)}", ct, notFoundOk: true);
        return answer.Status == 404 || answer.Body is not JsonObject o ? null : Issue(o);
    }

    public async Task<long> CommentAsync(string repo, long number, string body, CancellationToken ct)
    {
        var answer = await SendAsync(HttpMethod.Post, $"{RepoPath(repo)}/issues/{N(number)}/comments", new JsonObject { ["body"] = body },
            $"comment on {repo}#{N(number)}", ct);
        return Long(answer.Body, "id");
    }

    public async Task AddLabelsAsync(string repo, long number, IReadOnlyList<string> labels, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count == 0)
            return;
        // GitHub creates labels the repository lacks on its own.
        await SendAsync(HttpMethod.Post, $"{RepoPath(repo)}/issues/{N(number)}/labels",
            new JsonObject { ["labels"] = new JsonArray([.. labels.Select(l => (JsonNode)l)]) }, $"label {repo}#{N(number)}", ct);
    }

    public async Task RemoveLabelAsync(string repo, long number, string label, CancellationToken ct) =>
        await SendAsync(HttpMethod.Delete, $"{RepoPath(repo)}/issues/{N(number)}/labels/{Esc(label)}", null,
            $"remove label {label} from {repo}#{N(number)}", ct, notFoundOk: true);

    private string GraphQlUrl()
    {
        // github.com: api.github.com/graphql; Enterprise: host/api/v3 → host/api/graphql.
        var root = BaseUrl.ToString().TrimEnd('/');
        return root.EndsWith("/api/v3", StringComparison.OrdinalIgnoreCase) ? root[..^"/v3".Length] + "/graphql" : root + "/graphql";
    }

    private static ForgePull Pull(JsonNode p) => new(
        Long(p, "number"), Str(p, "html_url") ?? "", Str(p, "state") ?? "open", Bool(p, "draft"),
        Str(p["head"], "ref") ?? "", Str(p["base"], "ref") ?? "", Str(p, "node_id"));

    [GeneratedRegex("<([^>]+)>\\s*;\\s*rel=\"next\"")]
    private static partial Regex NextLink();

    private static string? NextPage(string? link) => link is not null && NextLink().Match(link) is { Success: true } m ? m.Groups[1].Value : null;
}
