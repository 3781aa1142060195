using System.Globalization;

using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Drover.Server.Forges;

/// <summary>
/// What both forge clients share: one JSON call over HttpClient with the token, a per-request timeout, and the
/// mapping of answers to <see cref="ForgeException"/>s. A rate-limit answer (429 or 403 with <c>Retry-After</c>,
/// <c>x-ratelimit-remaining: 0</c>, or GitHub's secondary limit) blocks this host until its reset: later calls fail
/// fast without reaching the forge, so a fleet of jobs cannot dig the hole deeper.
/// </summary>
public abstract class ForgeHttp
{
    /// <summary>GitHub's secondary limit names no reset; its docs say to wait at least a minute.</summary>
    private static readonly TimeSpan SecondaryLimitWait = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http;
    private readonly Func<string?> _token;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly object _gate = new();
    private DateTimeOffset _blockedUntil = DateTimeOffset.MinValue;

    protected ForgeHttp(HttpClient http, Uri baseUrl, Func<string?> token, TimeProvider time, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        _http = http;
        _token = token;
        _time = time;
        _timeout = timeout;
        BaseUrl = new Uri(baseUrl.ToString().TrimEnd('/') + "/");
    }

    /// <summary>The API root, ending in <c>/</c>.</summary>
    protected Uri BaseUrl { get; }

    public abstract string Kind { get; }

    /// <summary>The Authorization header value for a token (GitHub <c>Bearer</c>, Gitea <c>token</c>).</summary>
    protected abstract AuthenticationHeaderValue Authorization(string token);

    /// <summary>The answer to one call: its status, JSON body (null when empty) and headers.</summary>
    protected sealed record Answer(int Status, JsonNode? Body, HttpResponseHeaders Headers);

    /// <summary>
    /// Sends one call. <paramref name="call"/> names it in error messages ("list issues of o/r"). With
    /// <paramref name="notFoundOk"/>, a 404 is returned instead of thrown.
    /// </summary>
    protected async Task<Answer> SendAsync(HttpMethod method, string pathOrUrl, JsonNode? body, string call, CancellationToken ct, bool notFoundOk = false)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (now < _blockedUntil)
                throw new ForgeException($"{Kind} {call}: the forge's rate limit holds until {_blockedUntil:u}; not calling it before then", 429, true, _blockedUntil);
        }

        var url = pathOrUrl.StartsWith("http", StringComparison.Ordinal) ? new Uri(pathOrUrl) : new Uri(BaseUrl, pathOrUrl);
        if (!string.Equals(url.Authority, BaseUrl.Authority, StringComparison.OrdinalIgnoreCase))
            throw new ForgeException($"{Kind} {call}: the forge pointed to another host ({url.Host}); not following it", null, false);
        var token = _token() ?? throw new ForgeException($"{Kind} {call}: the forge's token secret is not set", null, false);
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = Authorization(token);
        request.Headers.UserAgent.ParseAdd("drover");
        request.Headers.Accept.ParseAdd("application/vnd.github+json");
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.TryAddWithoutValidation("X-GitHub-Api-Version", "2022-11-28");
        if (body is not null)
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_timeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            var status = (int)response.StatusCode;
            var json = Parse(text);
            if (response.IsSuccessStatusCode || (notFoundOk && status == 404))
                return new Answer(status, json, response.Headers);
            throw Failure(call, status, json, response.Headers);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new ForgeException($"{Kind} {call}: no answer within {_timeout.TotalSeconds:0.#} s", null, true, null, e);
        }
        catch (HttpRequestException e)
        {
            throw new ForgeException($"{Kind} {call}: could not reach {url.Host}: {e.Message}", null, true, null, e);
        }
    }

    private ForgeException Failure(string call, int status, JsonNode? body, HttpResponseHeaders headers)
    {
        var message = Message(body);
        var what = $"{Kind} {call} failed: HTTP {status}" + (message is null ? "" : $": {message}");
        if (status is 403 or 429 && RateLimitReset(status, message, headers) is { } until)
        {
            lock (_gate)
            {
                if (until > _blockedUntil)
                    _blockedUntil = until;
            }

            return new ForgeException($"{what} (rate limited until {until:u})", status, true, until);
        }

        return new ForgeException(what, status, status >= 500 || status == 408);
    }

    private DateTimeOffset? RateLimitReset(int status, string? message, HttpResponseHeaders headers)
    {
        var now = _time.GetUtcNow();
        if (headers.RetryAfter is { } retry)
        {
            if (retry.Delta is { } delta)
                return now + delta;
            if (retry.Date is { } date)
                return date > now ? date : now;
        }

        if (Header(headers, "x-ratelimit-remaining") == "0"
            && long.TryParse(Header(headers, "x-ratelimit-reset"), NumberStyles.None, CultureInfo.InvariantCulture, out var reset))
            return DateTimeOffset.FromUnixTimeSeconds(reset) is var at && at > now ? at : now + TimeSpan.FromSeconds(1);
        if (status == 429 || (message?.Contains("secondary rate limit", StringComparison.OrdinalIgnoreCase) ?? false))
            return now + SecondaryLimitWait;
        return null;
    }

    /// <summary>The forge's <c>message</c> field, with GitHub's validation <c>errors[].message</c> appended.</summary>
    private static string? Message(JsonNode? body)
    {
        if (body is not JsonObject o)
            return null;
        var message = o["message"] is JsonValue v && v.TryGetValue<string>(out var m) ? m : null;
        if (o["errors"] is JsonArray errors)
        {
            var details = errors.Select(e => e is JsonObject eo && eo["message"] is JsonValue ev && ev.TryGetValue<string>(out var s) ? s : null)
                .Where(s => s is not null).ToList();
            if (details.Count > 0)
                message = (message is null ? "" : message + ": ") + string.Join("; ", details);
        }

        return message is { Length: > 500 } ? message[..500] : message;
    }

    private static JsonNode? Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        try
        {
            return JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    protected static string? Header(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    /// <summary><c>repos/owner/name</c>, each part escaped; throws for a name that is not <c>owner/name</c>.</summary>
    protected static string RepoPath(string repo)
    {
        ArgumentNullException.ThrowIfNull(repo);
        var parts = repo.Split('/');
        if (parts.Length != 2 || parts.Any(p => p.Length == 0 || p is "." or ".."))
            throw new ForgeException($"\"{repo}\" is not a repository name like owner/name", null, false);
        return $"repos/{Uri.EscapeDataString(parts[0])}/{Uri.EscapeDataString(parts[1])}";
    }

    protected static string Esc(string s) => Uri.EscapeDataString(s);

    protected static string N(long n) => n.ToString(CultureInfo.InvariantCulture);

    protected static string? Str(JsonNode? node, string name) =>
        node is JsonObject o && o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    protected static long Long(JsonNode? node, string name) =>
        node is JsonObject o && o[name] is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;

    protected static bool Bool(JsonNode? node, string name) =>
        node is JsonObject o && o[name] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    protected static IReadOnlyList<string> LabelNames(JsonNode? issue) =>
        issue?["labels"] is JsonArray labels ? [.. labels.Select(l => Str(l, "name")).OfType<string>()] : [];

    protected static ForgeIssue Issue(JsonNode node) => new(
        Long(node, "number"), Str(node, "title") ?? "", Str(node, "body"), Str(node, "state") ?? "open", LabelNames(node),
        DateTimeOffset.TryParse(Str(node, "updated_at"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : DateTimeOffset.MinValue);

    protected static bool AlreadyExists(ForgeException e) =>
        e.Status is 409 or 422 && e.Message.Contains("already exists", StringComparison.OrdinalIgnoreCase);

}
