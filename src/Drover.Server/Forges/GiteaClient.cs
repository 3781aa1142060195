using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Drover.Server.Forges;

/// <summary>
/// Gitea's (and Forgejo's) API under <c>&lt;base_url&gt;/api/v1</c>. Differences from GitHub: the pulls list has no head
/// filter (Drover pages through the open pulls), drafts are titles starting <c>WIP:</c>, issue labels are set by id
/// (names are mapped through the repository's labels, creating missing ones), auto-merge is the merge call with
/// <c>merge_when_checks_succeed</c>.
/// </summary>
public sealed class GiteaClient(HttpClient http, Uri baseUrl, Func<string?> token, TimeProvider time, TimeSpan timeout)
    : ForgeHttp(http, ApiRoot(baseUrl), token, time, timeout), IForgeClient
{
    private const int PageSize = 50;
    private const int MaxPages = 100;

    public override string Kind => "gitea";

    protected override AuthenticationHeaderValue Authorization(string token) => new("token", token);

    private static Uri ApiRoot(Uri baseUrl)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        var root = baseUrl.ToString().TrimEnd('/');
        return new Uri(root.EndsWith("/api/v1", StringComparison.OrdinalIgnoreCase) ? root : root + "/api/v1");
    }

    public async Task<ForgePull?> FindPullAsync(string repo, string head, CancellationToken ct)
    {
        foreach (var page in await PagesAsync($"{RepoPath(repo)}/pulls?state=open", $"find the pull request of {repo} from {head}", ct))
        {
            if (page.OfType<JsonObject>().FirstOrDefault(p => Str(p["head"], "ref") == head) is { } found)
                return Pull(found);
        }

        return null;
    }

    public async Task<ForgePull> CreatePullAsync(string repo, ForgePullDraft draft, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var title = draft.Draft && !draft.Title.StartsWith("WIP:", StringComparison.OrdinalIgnoreCase) ? $"WIP: {draft.Title}" : draft.Title;
        var body = new JsonObject { ["title"] = title, ["head"] = draft.Head, ["base"] = draft.Base, ["body"] = draft.Body };
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
        await SendAsync(HttpMethod.Post, $"{RepoPath(repo)}/pulls/{N(pull.Number)}/merge",
            new JsonObject { ["Do"] = "merge", ["merge_when_checks_succeed"] = true }, $"enable auto-merge of {repo}#{N(pull.Number)}", ct);
    }

    public async Task<IReadOnlyList<ForgeIssue>> ListIssuesAsync(string repo, string label, CancellationToken ct)
    {
        var issues = new List<ForgeIssue>();
        foreach (var page in await PagesAsync($"{RepoPath(repo)}/issues?labels={Esc(label)}&state=open&type=issues", $"list the issues of {repo} labelled {label}", ct))
            issues.AddRange(page.OfType<JsonObject>().Where(i => i["pull_request"] is not JsonObject).Select(Issue));
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
        var ids = await LabelIdsAsync(repo, ct);
        var wanted = new JsonArray();
        foreach (var name in labels)
        {
            if (!ids.TryGetValue(name, out var id))
            {
                var created = await SendAsync(HttpMethod.Post, $"{RepoPath(repo)}/labels", new JsonObject { ["name"] = name, ["color"] = "#ededed" },
                    $"create label {name} on {repo}", ct);
                id = Long(created.Body, "id");
            }

            wanted.Add(id);
        }

        await SendAsync(HttpMethod.Post, $"{RepoPath(repo)}/issues/{N(number)}/labels", new JsonObject { ["labels"] = wanted }, $"label {repo}#{N(number)}", ct);
    }

    public async Task RemoveLabelAsync(string repo, long number, string label, CancellationToken ct)
    {
        if (!(await LabelIdsAsync(repo, ct)).TryGetValue(label, out var id))
            return;
        await SendAsync(HttpMethod.Delete, $"{RepoPath(repo)}/issues/{N(number)}/labels/{N(id)}", null,
            $"remove label {label} from {repo}#{N(number)}", ct, notFoundOk: true);
    }

    private async Task<Dictionary<string, long>> LabelIdsAsync(string repo, CancellationToken ct)
    {
        var ids = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        foreach (var page in await PagesAsync($"{RepoPath(repo)}/labels", $"list the labels of {repo}", ct))
        {
            foreach (var l in page.OfType<JsonObject>())
            {
                if (Str(l, "name") is { } name)
                    ids.TryAdd(name, Long(l, "id"));
            }
        }

        return ids;
    }

    /// <summary>
    /// Every page of a list call (<c>limit</c>/<c>page</c>). A server may cap pages below the limit asked
    /// (<c>MAX_RESPONSE_ITEMS</c>), so the end is <c>X-Total-Count</c> when sent, else an empty or short page.
    /// </summary>
    private async Task<List<JsonArray>> PagesAsync(string path, string call, CancellationToken ct)
    {
        var pages = new List<JsonArray>();
        var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        var seen = 0;
        for (var page = 1; page <= MaxPages; page++)
        {
            var answer = await SendAsync(HttpMethod.Get, $"{path}{separator}limit={PageSize}&page={page}", null, call, ct);
            if (answer.Body is not JsonArray { Count: > 0 } items)
                break;
            pages.Add(items);
            seen += items.Count;
            var more = long.TryParse(Header(answer.Headers, "X-Total-Count"), System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var total) ? seen < total : items.Count >= PageSize;
            if (!more)
                break;
        }

        return pages;
    }

    private static ForgePull Pull(JsonNode p)
    {
        var title = Str(p, "title") ?? "";
        return new(Long(p, "number"), Str(p, "html_url") ?? "", Str(p, "state") ?? "open",
            Bool(p, "draft") || title.StartsWith("WIP:", StringComparison.OrdinalIgnoreCase),
            Str(p["head"], "ref") ?? "", Str(p["base"], "ref") ?? "", null);
    }
}
