using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Drover.IntegrationTests.Forges;

/// <summary>
/// GitHub's REST v3 (and the one GraphQL mutation Drover uses) over <see cref="FakeForge"/>'s state. Issue, label and
/// validation-error bodies start from responses recorded by the npm package <c>@octokit/fixtures</c> 23.1.2
/// (scenarios paginate-issues, add-labels-to-issue, errors), trimmed, in <c>fixtures/github-*.json</c>; pull request
/// bodies follow GitHub's REST reference (the package records none).
/// </summary>
public sealed partial class FakeGitHub : FakeForge
{
    private FakeGitHub()
    {
    }

    public override string BaseUrl => Url;

    protected override string AuthScheme => "Bearer";

    public static async Task<FakeGitHub> StartNewAsync()
    {
        var fake = new FakeGitHub();
        await fake.StartAsync();
        return fake;
    }

    [GeneratedRegex("^/repos/([^/]+/[^/]+)/(pulls|issues)(?:/([0-9]+)(?:/(comments|labels)(?:/(.+))?)?)?$")]
    private static partial Regex Route();

    protected override async Task RouteAsync(HttpContext c, string path, JsonNode? body)
    {
        var method = c.Request.Method;
        if (path == "/graphql" && method == "POST")
        {
            await GraphQlAsync(c, body);
            return;
        }

        var m = Route().Match(path);
        if (!m.Success)
        {
            await JsonAsync(c, 404, new JsonObject { ["message"] = "Not Found" });
            return;
        }

        var repo = m.Groups[1].Value;
        var kind = m.Groups[2].Value;
        long? number = m.Groups[3].Success ? long.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
        var sub = m.Groups[4].Success ? m.Groups[4].Value : null;
        var (status, answer) = (kind, number, sub, method) switch
        {
            ("pulls", null, null, "GET") => ListPulls(repo, c),
            ("pulls", null, null, "POST") => CreatePull(repo, body!),
            ("pulls", { } n, null, "GET") => GetPull(repo, n),
            ("pulls", { } n, null, "PATCH") => EditPull(repo, n, body!),
            ("issues", null, null, "GET") => ListIssues(repo, c),
            ("issues", { } n, null, "GET") => GetIssue(repo, n),
            ("issues", { } n, "comments", "POST") => Comment(repo, n, body!),
            ("issues", { } n, "labels", "POST") => AddLabels(repo, n, body!),
            ("issues", { } n, "labels", "DELETE") => RemoveLabel(repo, n, Uri.UnescapeDataString(m.Groups[5].Value)),
            _ => (404, new JsonObject { ["message"] = "Not Found" }),
        };
        await JsonAsync(c, status, answer);
    }

    protected override Task AlreadyExistsAsync(HttpContext c) => JsonAsync(c, 422, AlreadyExistsBody("someone:branch"));

    private static JsonObject AlreadyExistsBody(string head)
    {
        var body = Fixture("github-validation-failed.json");
        body["errors"] = new JsonArray(new JsonObject { ["resource"] = "PullRequest", ["code"] = "custom", ["message"] = $"A pull request already exists for {head}." });
        body["documentation_url"] = "https://docs.github.com/rest/pulls/pulls#create-a-pull-request";
        return body;
    }

    private (int, JsonNode) ListPulls(string repo, HttpContext c)
    {
        var head = c.Request.Query["head"].ToString();
        var branch = head.Contains(':', StringComparison.Ordinal) ? head[(head.IndexOf(':', StringComparison.Ordinal) + 1)..] : head;
        lock (Gate)
        {
            var pulls = Items(repo).OfType<FakePull>().Where(p => p.State == "open" && (head.Length == 0 || p.Head == branch));
            return (200, new JsonArray([.. pulls.Select(p => (JsonNode)PullJson(repo, p))]));
        }
    }

    private (int, JsonNode) CreatePull(string repo, JsonNode body)
    {
        var head = (string)body["head"]!;
        lock (Gate)
        {
            if (Items(repo).OfType<FakePull>().Any(p => p.State == "open" && p.Head == head))
                return (422, AlreadyExistsBody($"{repo.Split('/')[0]}:{head}"));
            var pull = AddPull(repo, head, (string)body["base"]!, (string)body["title"]!, (string?)body["body"], (bool?)body["draft"] ?? false);
            return (201, PullJson(repo, pull));
        }
    }

    private (int, JsonNode) GetPull(string repo, long n)
    {
        lock (Gate)
            return Find(repo, n) is FakePull p ? (200, PullJson(repo, p)) : (404, new JsonObject { ["message"] = "Not Found" });
    }

    private (int, JsonNode) EditPull(string repo, long n, JsonNode body)
    {
        lock (Gate)
        {
            if (Find(repo, n) is not FakePull p)
                return (404, new JsonObject { ["message"] = "Not Found" });
            p.Title = (string?)body["title"] ?? p.Title;
            p.Body = (string?)body["body"] ?? p.Body;
            return (200, PullJson(repo, p));
        }
    }

    private (int, JsonNode) ListIssues(string repo, HttpContext c)
    {
        var label = c.Request.Query["labels"].ToString();
        var state = c.Request.Query["state"].ToString() is { Length: > 0 } s ? s : "open";
        var perPage = Math.Min(Query(c, "per_page", 30), MaxPageSize);
        var page = Query(c, "page", 1);
        lock (Gate)
        {
            var all = Items(repo).Where(i => (state == "all" || i.State == state)
                && (label.Length == 0 || label.Split(',').All(l => i.Labels.Contains(l, StringComparer.OrdinalIgnoreCase)))).ToList();
            var items = all.Skip((page - 1) * perPage).Take(perPage).Select(i => (JsonNode)IssueJson(repo, i));
            if (page * perPage < all.Count)
            {
                var next = $"{Url}/repos/{repo}/issues?labels={Uri.EscapeDataString(label)}&state={state}&per_page={perPage}&page={page + 1}";
                c.Response.Headers.Link = $"<{next}>; rel=\"next\"";
            }

            return (200, new JsonArray([.. items]));
        }
    }

    private (int, JsonNode) GetIssue(string repo, long n)
    {
        lock (Gate)
            return Find(repo, n) is { } i ? (200, IssueJson(repo, i)) : (404, new JsonObject { ["message"] = "Not Found" });
    }

    private (int, JsonNode) Comment(string repo, long n, JsonNode body)
    {
        lock (Gate)
        {
            if (Find(repo, n) is not { } i)
                return (404, new JsonObject { ["message"] = "Not Found" });
            i.Comments.Add((string)body["body"]!);
            return (201, new JsonObject { ["id"] = (n * 1000) + i.Comments.Count, ["body"] = (string)body["body"]!, ["html_url"] = $"https://github.com/{repo}/issues/{n}#issuecomment-{n}" });
        }
    }

    private (int, JsonNode) AddLabels(string repo, long n, JsonNode body)
    {
        lock (Gate)
        {
            if (Find(repo, n) is not { } i)
                return (404, new JsonObject { ["message"] = "Not Found" });
            foreach (var l in body["labels"]!.AsArray().Select(l => (string)l!))
            {
                if (!i.Labels.Contains(l, StringComparer.OrdinalIgnoreCase))
                    i.Labels.Add(l);
            }

            return (200, new JsonArray([.. i.Labels.Select(l => (JsonNode)LabelJson(repo, l))]));
        }
    }

    private (int, JsonNode) RemoveLabel(string repo, long n, string label)
    {
        lock (Gate)
        {
            if (Find(repo, n) is not { } i || i.Labels.RemoveAll(l => string.Equals(l, label, StringComparison.OrdinalIgnoreCase)) == 0)
                return (404, new JsonObject { ["message"] = "Label does not exist" });
            return (200, new JsonArray([.. i.Labels.Select(l => (JsonNode)LabelJson(repo, l))]));
        }
    }

    private async Task GraphQlAsync(HttpContext c, JsonNode? body)
    {
        var id = (string?)body?["variables"]?["id"];
        var mutation = ((string?)body?["query"] ?? "").Contains("enablePullRequestAutoMerge", StringComparison.Ordinal);
        long? number = null;
        lock (Gate)
        {
            if (mutation && AllPulls().FirstOrDefault(p => p.NodeId == id) is { } pull)
            {
                pull.AutomergeRequested = true;
                number = pull.Number;
            }
        }

        // GraphQL answers 200 with an errors array when it cannot do the mutation.
        await JsonAsync(c, 200, number is { } n
            ? new JsonObject { ["data"] = new JsonObject { ["enablePullRequestAutoMerge"] = new JsonObject { ["pullRequest"] = new JsonObject { ["number"] = n } } } }
            : new JsonObject { ["data"] = null, ["errors"] = new JsonArray(new JsonObject { ["type"] = "NOT_FOUND", ["message"] = $"Could not resolve to a node with the global id of '{id}'" }) });
    }

    private JsonObject PullJson(string repo, FakePull p) => new()
    {
        ["url"] = $"{Url}/repos/{repo}/pulls/{p.Number}",
        ["id"] = p.Number,
        ["node_id"] = p.NodeId,
        ["html_url"] = $"https://github.com/{repo}/pull/{p.Number}",
        ["number"] = p.Number,
        ["state"] = p.State,
        ["title"] = p.Title,
        ["body"] = p.Body,
        ["draft"] = p.Draft,
        ["head"] = new JsonObject { ["label"] = $"{repo.Split('/')[0]}:{p.Head}", ["ref"] = p.Head },
        ["base"] = new JsonObject { ["label"] = $"{repo.Split('/')[0]}:{p.Base}", ["ref"] = p.Base },
        ["auto_merge"] = p.AutomergeRequested ? new JsonObject { ["merge_method"] = "merge" } : null,
    };

    private JsonObject IssueJson(string repo, FakeItem i)
    {
        var issue = Fixture("github-issue.json");
        issue["url"] = $"{Url}/repos/{repo}/issues/{i.Number}";
        issue["html_url"] = $"https://github.com/{repo}/issues/{i.Number}";
        issue["id"] = i.Number;
        issue["number"] = i.Number;
        issue["title"] = i.Title;
        issue["body"] = i.Body;
        issue["state"] = i.State;
        issue["comments"] = i.Comments.Count;
        issue["updated_at"] = i.UpdatedAt.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        issue["labels"] = new JsonArray([.. i.Labels.Select(l => (JsonNode)LabelJson(repo, l))]);
        if (i is FakePull)
            issue["pull_request"] = new JsonObject { ["url"] = $"{Url}/repos/{repo}/pulls/{i.Number}", ["html_url"] = $"https://github.com/{repo}/pull/{i.Number}" };
        return issue;
    }

    private JsonObject LabelJson(string repo, string name)
    {
        var label = Fixture("github-label.json");
        label["name"] = name;
        label["url"] = $"{Url}/repos/{repo}/labels/{Uri.EscapeDataString(name)}";
        return label;
    }
}
