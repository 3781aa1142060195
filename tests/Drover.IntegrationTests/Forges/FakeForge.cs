using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Drover.IntegrationTests.Forges;

/// <summary>An issue or pull request of a fake forge (they share one number sequence per repository, as on both forges).</summary>
public class FakeItem
{
    public required long Number { get; init; }
    public required string Title { get; set; }
    public string? Body { get; set; }
    public string State { get; set; } = "open";
    public List<string> Labels { get; } = [];
    public List<string> Comments { get; } = [];
    public DateTimeOffset UpdatedAt { get; set; } = DateTimeOffset.UtcNow;
}

/// <summary>A pull request of a fake forge.</summary>
public sealed class FakePull : FakeItem
{
    public required string Head { get; init; }
    public required string Base { get; init; }
    public bool Draft { get; set; }
    public bool AutomergeRequested { get; set; }
    public string NodeId => $"PR_fake{Number}";
}

/// <summary>How the fake answers a call it was told to fail (<see cref="FakeForge.FailNext"/>).</summary>
public enum FakeFailure
{
    /// <summary>401 bad credentials.</summary>
    Unauthorized,

    /// <summary>403 "secondary rate limit" with <c>Retry-After</c>.</summary>
    SecondaryLimit,

    /// <summary>403 with <c>x-ratelimit-remaining: 0</c> and <c>x-ratelimit-reset</c>.</summary>
    RateLimitExhausted,

    NotFound,

    /// <summary>The forge's "a pull request already exists" answer (GitHub 422, Gitea 409).</summary>
    AlreadyExists,

    ServerError,

    /// <summary>Never answers (until the client gives up).</summary>
    Hang,
}

/// <summary>One request the fake received: method, path with query, body, Authorization header, and when (wall clock).</summary>
public sealed record FakeRequest(string Method, string Path, string? Body, string? Authorization, DateTimeOffset At);

/// <summary>
/// An in-memory forge on 127.0.0.1 (Kestrel, port 0) holding repositories' issues, pull requests, comments and labels,
/// checking the token and recording every request. <see cref="FakeGitHub"/> and <see cref="FakeGitea"/> speak the two
/// APIs over the same state. Tests arrange issues, read what Drover did to them, and inject failures.
/// </summary>
public abstract class FakeForge : IAsyncDisposable
{
    private readonly ConcurrentQueue<FakeRequest> _requests = new();
    private readonly List<(string Path, string? Method, FakeFailure Failure, int Left)> _failures = [];
    private readonly Dictionary<string, List<FakeItem>> _repos = new(StringComparer.OrdinalIgnoreCase);
    private WebApplication? _app;

    protected object Gate { get; } = new();

    /// <summary>The token the fake accepts.</summary>
    public string Token { get; } = "fake_" + Guid.NewGuid().ToString("N");

    public int Port { get; private set; }

    /// <summary>The server's root URL (no trailing slash).</summary>
    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>What to put in <c>[[forges]]</c> base_url.</summary>
    public abstract string BaseUrl { get; }

    /// <summary>The largest page a list call answers, whatever the client asks for.</summary>
    public int MaxPageSize { get; set; } = 50;

    /// <summary>Seconds in the <c>Retry-After</c> of a rate-limit failure; 0: no header (GitHub's secondary limit may send none).</summary>
    public int RetryAfterSeconds { get; set; } = 60;

    public IReadOnlyList<FakeRequest> Requests => [.. _requests];

    protected async Task StartAsync()
    {
        var listening = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listening.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listening.Listen(128);
        Port = ((IPEndPoint)listening.LocalEndPoint!).Port;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ListenHandle((ulong)listening.Handle));
        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync();
    }

    /// <summary>Opens an issue carrying <paramref name="labels"/>; returns its number.</summary>
    public long CreateIssue(string repo, string title, string? body, params string[] labels)
    {
        lock (Gate)
        {
            var item = new FakeItem { Number = NextNumber(repo), Title = title, Body = body };
            item.Labels.AddRange(labels);
            Items(repo).Add(item);
            return item.Number;
        }
    }

    public void CloseIssue(string repo, long number) => Change(repo, number, i => i.State = "closed");

    public void SetLabels(string repo, long number, params string[] labels) => Change(repo, number, i =>
    {
        i.Labels.Clear();
        i.Labels.AddRange(labels);
    });

    public IReadOnlyList<string> Comments(string repo, long number) => Read(repo, number, i => (IReadOnlyList<string>)[.. i.Comments]);

    public IReadOnlyList<string> Labels(string repo, long number) => Read(repo, number, i => (IReadOnlyList<string>)[.. i.Labels]);

    public IReadOnlyList<FakePull> Pulls(string repo)
    {
        lock (Gate)
            return [.. Items(repo).OfType<FakePull>()];
    }

    /// <summary>
    /// The next <paramref name="times"/> requests whose path contains <paramref name="path"/> (and whose method is
    /// <paramref name="method"/>, when given) answer with <paramref name="failure"/>.
    /// </summary>
    public void FailNext(string path, int times, FakeFailure failure, string? method = null)
    {
        lock (Gate)
            _failures.Add((path, method, failure, times));
    }

    private async Task HandleAsync(HttpContext c)
    {
        var path = c.Request.Path.Value ?? "/";
        string? body = null;
        if (c.Request.ContentLength is > 0 || c.Request.Headers.TransferEncoding.Count > 0)
        {
            using var reader = new StreamReader(c.Request.Body, Encoding.UTF8);
            body = await reader.ReadToEndAsync(c.RequestAborted);
        }

        _requests.Enqueue(new FakeRequest(c.Request.Method, path + c.Request.QueryString, body, c.Request.Headers.Authorization.ToString(), DateTimeOffset.UtcNow));
        if (TakeFailure(c.Request.Method, path) is { } failure)
        {
            await FailAsync(c, failure);
            return;
        }

        if (c.Request.Headers.Authorization.ToString() != $"{AuthScheme} {Token}")
        {
            await JsonAsync(c, 401, new JsonObject { ["message"] = "Bad credentials" });
            return;
        }

        await RouteAsync(c, path, body is null ? null : JsonNode.Parse(body));
    }

    private FakeFailure? TakeFailure(string method, string path)
    {
        lock (Gate)
        {
            for (var i = 0; i < _failures.Count; i++)
            {
                var f = _failures[i];
                if (f.Left <= 0 || !path.Contains(f.Path, StringComparison.Ordinal) || (f.Method is not null && f.Method != method))
                    continue;
                _failures[i] = f with { Left = f.Left - 1 };
                return f.Failure;
            }

            return null;
        }
    }

    private async Task FailAsync(HttpContext c, FakeFailure failure)
    {
        switch (failure)
        {
            case FakeFailure.Unauthorized:
                await JsonAsync(c, 401, new JsonObject { ["message"] = "Bad credentials" });
                break;
            case FakeFailure.SecondaryLimit:
                if (RetryAfterSeconds > 0)
                    c.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await JsonAsync(c, 403, new JsonObject { ["message"] = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." });
                break;
            case FakeFailure.RateLimitExhausted:
                c.Response.Headers["x-ratelimit-remaining"] = "0";
                c.Response.Headers["x-ratelimit-reset"] = (DateTimeOffset.UtcNow.ToUnixTimeSeconds() + RetryAfterSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await JsonAsync(c, 403, new JsonObject { ["message"] = "API rate limit exceeded" });
                break;
            case FakeFailure.NotFound:
                await JsonAsync(c, 404, new JsonObject { ["message"] = "Not Found" });
                break;
            case FakeFailure.AlreadyExists:
                await AlreadyExistsAsync(c);
                break;
            case FakeFailure.ServerError:
                await JsonAsync(c, 500, new JsonObject { ["message"] = "Server Error" });
                break;
            case FakeFailure.Hang:
                await Task.Delay(Timeout.Infinite, c.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                break;
        }
    }

    /// <summary>The Authorization scheme the forge expects (<c>Bearer</c>, <c>token</c>).</summary>
    protected abstract string AuthScheme { get; }

    protected abstract Task RouteAsync(HttpContext c, string path, JsonNode? body);

    protected abstract Task AlreadyExistsAsync(HttpContext c);

    protected List<FakeItem> Items(string repo)
    {
        if (!_repos.TryGetValue(repo, out var items))
            _repos[repo] = items = [];
        return items;
    }

    protected IEnumerable<FakePull> AllPulls() => _repos.Values.SelectMany(i => i).OfType<FakePull>();

    protected long NextNumber(string repo) => Items(repo).Count + 1;

    protected FakeItem? Find(string repo, long number) => Items(repo).FirstOrDefault(i => i.Number == number);

    protected FakePull AddPull(string repo, string head, string @base, string title, string? body, bool draft)
    {
        var pull = new FakePull { Number = NextNumber(repo), Head = head, Base = @base, Title = title, Body = body, Draft = draft };
        Items(repo).Add(pull);
        return pull;
    }

    private void Change(string repo, long number, Action<FakeItem> change)
    {
        lock (Gate)
        {
            var item = Find(repo, number) ?? throw new InvalidOperationException($"no issue {repo}#{number}");
            change(item);
            item.UpdatedAt = DateTimeOffset.UtcNow;
        }
    }

    private T Read<T>(string repo, long number, Func<FakeItem, T> read)
    {
        lock (Gate)
            return read(Find(repo, number) ?? throw new InvalidOperationException($"no issue {repo}#{number}"));
    }

    protected static async Task JsonAsync(HttpContext c, int status, JsonNode? body)
    {
        c.Response.StatusCode = status;
        if (body is null)
            return;
        c.Response.ContentType = "application/json; charset=utf-8";
        await c.Response.WriteAsync(body.ToJsonString(), c.RequestAborted);
    }

    protected static int Query(HttpContext c, string name, int fallback) =>
        int.TryParse(c.Request.Query[name].ToString(), out var n) && n > 0 ? n : fallback;

    /// <summary>A fixture copied from recorded forge traffic (see the fixtures folder), as a fresh object to fill in.</summary>
    protected static JsonObject Fixture(string name) =>
        (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Forges", "fixtures", name)))!;

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
            await _app.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
