using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Drover.IntegrationTests.Forges;

/// <summary>
/// Gitea's API under <c>/api/v1</c> over <see cref="FakeForge"/>'s state: <c>limit</c>/<c>page</c> lists with
/// <c>X-Total-Count</c>, repository labels with ids (issue labels are set and removed by id), the merge call with
/// <c>merge_when_checks_succeed</c>, 409 for a second pull request from one head. Bodies follow Gitea's swagger
/// structs (Issue, PullRequest, Label, Comment), with the fields Drover reads.
/// </summary>
public sealed partial class FakeGitea : FakeForge
{
    private readonly Dictionary<string, List<(long Id, string Name)>> _labels = new(StringComparer.OrdinalIgnoreCase);

    private FakeGitea()
    {
    }

    public override string BaseUrl => Url;

    protected override string AuthScheme => "token";

    public static async Task<FakeGitea> StartNewAsync()
    {
        var fake = new FakeGitea();
        await fake.StartAsync();
        return fake;
    }

    /// <summary>The repository's label names, in the order they were created.</summary>
    public IReadOnlyList<string> RepoLabels(string repo)
    {
        lock (Gate)
            return [.. RepoLabelList(repo).Select(l => l.Name)];
    }

    [GeneratedRegex("^/api/v1/repos/([^/]+/[^/]+)/(pulls|issues|labels)(?:/([0-9]+)(?:/(comments|labels|merge)(?:/([0-9]+))?)?)?$")]
    private static partial Regex Route();

    protected override async Task RouteAsync(HttpContext c, string path, JsonNode? body)
    {
        var m = Route().Match(path);
        if (!m.Success)
        {
            await JsonAsync(c, 404, NotFound());
            return;
        }

        var repo = m.Groups[1].Value;
        long? number = m.Groups[3].Success ? long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : null;
        var sub = m.Groups[4].Success ? m.Groups[4].Value : null;
        long? id = m.Groups[5].Success ? long.Parse(m.Groups[5].Value, CultureInfo.InvariantCulture) : null;
        JsonNode? answer;
        int status;
        lock (Gate)
        {
            (status, answer) = (m.Groups[2].Value, number, sub, c.Request.Method) switch
            {
                ("pulls", null, null, "GET") => Page(c, Items(repo).OfType<FakePull>().Where(p => p.State == "open"), i => PullJson(repo, (FakePull)i)),
                ("pulls", null, null, "POST") => CreatePull(repo, body!),
                ("pulls", { } n, null, "PATCH") => EditPull(repo, n, body!),
                ("pulls", { } n, "merge", "POST") => Merge(repo, n, body!),
                ("issues", null, null, "GET") => Page(c, Issues(repo, c), i => IssueJson(repo, i)),
                ("issues", { } n, null, "GET") => Find(repo, n) is { } i ? (200, IssueJson(repo, i)) : (404, NotFound()),
                ("issues", { } n, "comments", "POST") => Comment(repo, n, body!),
                ("issues", { } n, "labels", "POST") => AddLabels(repo, n, body!),
                ("issues", { } n, "labels", "DELETE") => RemoveLabel(repo, n, id ?? 0),
                ("labels", null, null, "GET") => Page(c, RepoLabelList(repo).Select(l => l.Name), l => LabelJson(repo, l)),
                ("labels", null, null, "POST") => (201, LabelJson(repo, LabelId(repo, (string)body!["name"]!, create: true)!.Value.Name)),
                _ => (404, NotFound()),
            };
        }

        await JsonAsync(c, status, answer);
    }

    protected override Task AlreadyExistsAsync(HttpContext c) =>
        JsonAsync(c, 409, new JsonObject { ["message"] = "pull request already exists for these targets [id: 1, issue_id: 1, head_repo_id: 1, base_repo_id: 1, head_branch: branch, base_branch: main]", ["url"] = $"{Url}/api/swagger" });

    private JsonObject NotFound() => new() { ["errors"] = new JsonArray(), ["message"] = "The target couldn't be found.", ["url"] = $"{Url}/api/swagger" };

    private (int, JsonNode?) Page<T>(HttpContext c, IEnumerable<T> all, Func<T, JsonNode> json)
    {
        var list = all.ToList();
        var limit = Math.Min(Query(c, "limit", MaxPageSize), MaxPageSize);
        var page = Query(c, "page", 1);
        c.Response.Headers["X-Total-Count"] = list.Count.ToString(CultureInfo.InvariantCulture);
        return (200, new JsonArray([.. list.Skip((page - 1) * limit).Take(limit).Select(json)]));
    }

    private IEnumerable<FakeItem> Issues(string repo, HttpContext c)
    {
        var labels = c.Request.Query["labels"].ToString();
        var state = c.Request.Query["state"].ToString() is { Length: > 0 } s ? s : "open";
        var type = c.Request.Query["type"].ToString();
        return Items(repo).Where(i => (state == "all" || i.State == state)
            && (type != "issues" || i is not FakePull)
            && (type != "pulls" || i is FakePull)
            && (labels.Length == 0 || labels.Split(',').All(l => i.Labels.Contains(l, StringComparer.OrdinalIgnoreCase))));
    }

    private (int, JsonNode?) CreatePull(string repo, JsonNode body)
    {
        var head = (string)body["head"]!;
        if (Items(repo).OfType<FakePull>().Any(p => p.State == "open" && p.Head == head))
            return (409, new JsonObject { ["message"] = $"pull request already exists for these targets [id: 1, issue_id: 1, head_repo_id: 1, base_repo_id: 1, head_branch: {head}, base_branch: {(string)body["base"]!}]" });
        var title = (string)body["title"]!;
        var pull = AddPull(repo, head, (string)body["base"]!, title, (string?)body["body"], title.StartsWith("WIP:", StringComparison.OrdinalIgnoreCase));
        return (201, PullJson(repo, pull));
    }

    private (int, JsonNode?) EditPull(string repo, long n, JsonNode body)
    {
        if (Find(repo, n) is not FakePull p)
            return (404, NotFound());
        p.Title = (string?)body["title"] ?? p.Title;
        p.Body = (string?)body["body"] ?? p.Body;
        p.Draft = p.Title.StartsWith("WIP:", StringComparison.OrdinalIgnoreCase);
        return (201, PullJson(repo, p));
    }

    private (int, JsonNode?) Merge(string repo, long n, JsonNode body)
    {
        if (Find(repo, n) is not FakePull p)
            return (404, NotFound());
        if ((bool?)body["merge_when_checks_succeed"] != true)
            return (405, new JsonObject { ["message"] = "the fake merges only when checks succeed" });
        p.AutomergeRequested = true;
        return (200, null);
    }

    private (int, JsonNode?) Comment(string repo, long n, JsonNode body)
    {
        if (Find(repo, n) is not { } i)
            return (404, NotFound());
        i.Comments.Add((string)body["body"]!);
        return (201, new JsonObject { ["id"] = (n * 1000) + i.Comments.Count, ["body"] = (string)body["body"]!, ["html_url"] = $"{Url}/{repo}/issues/{n}#issuecomment-{n}" });
    }

    private (int, JsonNode?) AddLabels(string repo, long n, JsonNode body)
    {
        if (Find(repo, n) is not { } i)
            return (404, NotFound());
        foreach (var id in body["labels"]!.AsArray().Select(l => (long)l!))
        {
            if (RepoLabelList(repo).FirstOrDefault(l => l.Id == id) is not { Name: { } name })
                return (422, new JsonObject { ["message"] = $"label {id} does not exist" });
            if (!i.Labels.Contains(name, StringComparer.OrdinalIgnoreCase))
                i.Labels.Add(name);
        }

        return (200, new JsonArray([.. i.Labels.Select(l => LabelJson(repo, l))]));
    }

    private (int, JsonNode?) RemoveLabel(string repo, long n, long id)
    {
        var name = RepoLabelList(repo).FirstOrDefault(l => l.Id == id).Name;
        if (Find(repo, n) is not { } i || name is null || i.Labels.RemoveAll(l => string.Equals(l, name, StringComparison.OrdinalIgnoreCase)) == 0)
            return (404, NotFound());
        return (204, null);
    }

    private List<(long Id, string Name)> RepoLabelList(string repo)
    {
        if (!_labels.TryGetValue(repo, out var list))
            _labels[repo] = list = [];
        foreach (var name in Items(repo).SelectMany(i => i.Labels))
        {
            // Labels given to issues by tests exist in the repository, as they would on a real forge.
            if (!list.Any(l => string.Equals(l.Name, name, StringComparison.OrdinalIgnoreCase)))
                list.Add((list.Count + 1, name));
        }

        return list;
    }

    private (long Id, string Name)? LabelId(string repo, string name, bool create)
    {
        var list = RepoLabelList(repo);
        if (list.FirstOrDefault(l => string.Equals(l.Name, name, StringComparison.OrdinalIgnoreCase)) is { Name: not null } found)
            return found;
        if (!create)
            return null;
        list.Add((list.Count + 1, name));
        return list[^1];
    }

    private JsonObject PullJson(string repo, FakePull p) => new()
    {
        ["id"] = p.Number,
        ["url"] = $"{Url}/{repo}/pulls/{p.Number}",
        ["number"] = p.Number,
        ["title"] = p.Title,
        ["body"] = p.Body,
        ["state"] = p.State,
        ["draft"] = p.Draft,
        ["html_url"] = $"{Url}/{repo}/pulls/{p.Number}",
        ["head"] = new JsonObject { ["label"] = p.Head, ["ref"] = p.Head },
        ["base"] = new JsonObject { ["label"] = p.Base, ["ref"] = p.Base },
    };

    private JsonObject IssueJson(string repo, FakeItem i) => new()
    {
        ["id"] = i.Number,
        ["url"] = $"{Url}/api/v1/repos/{repo}/issues/{i.Number}",
        ["html_url"] = $"{Url}/{repo}/issues/{i.Number}",
        ["number"] = i.Number,
        ["title"] = i.Title,
        ["body"] = i.Body ?? "",
        ["state"] = i.State,
        ["labels"] = new JsonArray([.. i.Labels.Select(l => LabelJson(repo, l))]),
        ["comments"] = i.Comments.Count,
        ["updated_at"] = i.UpdatedAt.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        ["pull_request"] = i is FakePull p ? new JsonObject { ["merged"] = false, ["draft"] = p.Draft } : null,
    };

    private JsonObject LabelJson(string repo, string name) => new()
    {
        ["id"] = LabelId(repo, name, create: true)!.Value.Id,
        ["name"] = name,
        ["color"] = "ededed",
        ["description"] = "",
        ["url"] = $"{Url}/api/v1/repos/{repo}/labels/{LabelId(repo, name, create: true)!.Value.Id}",
    };
}
