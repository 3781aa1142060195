using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Core;
using Drover.Server.Jobs;

namespace Drover.Cli.Client;

/// <summary><see cref="IDroverApi"/> over a running server's HTTP API.</summary>
public sealed class HttpDroverApi : IDroverApi, IDisposable
{
    private readonly HttpClient _http;

    /// <param name="trusted">The home's own TLS certificate (<c>[server] tls_cert</c>): trusted as presented even when
    /// no authority vouches for it (self-signed) or it names another host than the URL's (127.0.0.1).</param>
    public HttpDroverApi(string baseUrl, string? token, X509Certificate2? trusted = null)
    {
        if (!Uri.TryCreate(baseUrl.TrimEnd('/') + "/", UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            throw new JobSpecException("url", $"\"{baseUrl}\" is not an http(s) URL (like http://127.0.0.1:8731)");
        var handler = new SocketsHttpHandler();
        if (trusted is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, errors) =>
                errors == SslPolicyErrors.None || (presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(trusted.RawData));
        }

        _http = new HttpClient(handler) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public void Dispose() => _http.Dispose();

    public async Task<bool> IsHealthyAsync(CancellationToken ct)
    {
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(TimeSpan.FromSeconds(2));
            using var resp = await _http.GetAsync(new Uri("healthz", UriKind.Relative), cts.Token);
            return resp.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>Sends the spec as one JSON object: the CLI has already merged file and flags (one shape for both paths).</summary>
    public async Task<SubmitView> SubmitAsync(SubmitRequest request, CancellationToken ct)
    {
        HttpContent content;
        if (request.FileBytes is { } bytes)
        {
            var format = request.FileFormat == "markdown" ? Core.Specs.SpecFileFormat.Markdown : Core.Specs.SpecFileFormat.Json;
            content = new StringContent(Core.Specs.JobSpecParser.MergeSubmission(bytes, format, request.Spec).ToJsonString(), Encoding.UTF8, "application/json");
        }
        else
        {
            content = new StringContent((request.Spec ?? []).ToJsonString(), Encoding.UTF8, "application/json");
        }

        using (content)
        {
            using var msg = new HttpRequestMessage(HttpMethod.Post, "api/jobs") { Content = content };
            msg.Headers.Add("X-Drover-Cwd", request.WorkingDirectory);
            return await SendAsync<SubmitView>(msg, ct);
        }
    }

    public Task<JobView> GetJobAsync(long id, CancellationToken ct) => GetAsync<JobView>($"api/jobs/{id}", ct);

    public Task<JobListView> ListJobsAsync(JobQuery query, CancellationToken ct)
    {
        var q = new StringBuilder($"api/jobs?limit={query.Limit}");
        if (query.State is not null)
            q.Append("&state=").Append(Uri.EscapeDataString(query.State));
        if (query.Label is not null)
            q.Append("&label=").Append(Uri.EscapeDataString(query.Label));
        if (query.Cursor is not null)
            q.Append("&cursor=").Append(query.Cursor);
        if (query.Engine is not null)
            q.Append("&engine=").Append(Uri.EscapeDataString(query.Engine));
        if (query.Text is not null)
            q.Append("&q=").Append(Uri.EscapeDataString(query.Text));
        return GetAsync<JobListView>(q.ToString(), ct);
    }

    public Task<JobView> CancelAsync(long id, CancellationToken ct) => PostAsync<JobView>($"api/jobs/{id}/cancel", null, ct);

    public Task<JobView> RetryAsync(long id, CancellationToken ct) => PostAsync<JobView>($"api/jobs/{id}/retry", null, ct);

    public Task<JobView> DeliverAsync(long id, string? mode, CancellationToken ct) =>
        PostAsync<JobView>($"api/jobs/{id}/deliver", mode is null ? new JsonObject() : new JsonObject { ["mode"] = mode }, ct);

    public Task<JobView> AnswerAsync(long id, string answer, CancellationToken ct) =>
        PostAsync<JobView>($"api/jobs/{id}/answer", new JsonObject { ["answer"] = answer }, ct);

    public Task<JobView> ApproveAsync(long id, bool approve, string? reason, CancellationToken ct) =>
        PostAsync<JobView>($"api/jobs/{id}/approve", new JsonObject { ["approve"] = approve, ["reason"] = reason }, ct);

    public Task<StatusView> StatusAsync(CancellationToken ct) => GetAsync<StatusView>("api/status", ct);

    public async Task<IReadOnlyList<WorkerView>> WorkersAsync(CancellationToken ct) =>
        (await GetAsync<WorkersEnvelope>("api/workers", ct)).Workers;

    public async Task<IReadOnlyList<ProviderView>> ProvidersAsync(CancellationToken ct) =>
        (await GetAsync<ProvidersEnvelope>("api/providers", ct)).Providers;

    private sealed record ProvidersEnvelope(IReadOnlyList<ProviderView> Providers);

    public Task<SpendView> UsageAsync(string period, string by, CancellationToken ct) =>
        GetAsync<SpendView>($"api/usage?period={Uri.EscapeDataString(period)}&by={Uri.EscapeDataString(by)}", ct);

    public Task<Server.Reports.FleetReport> ReportAsync(int days, CancellationToken ct) =>
        GetAsync<Server.Reports.FleetReport>(days == 0 ? "api/report" : $"api/report?days={days}", ct);

    public Task SetPausedAsync(bool paused, CancellationToken ct) =>
        PostAsync<StatusView>(paused ? "api/fleet/pause" : "api/fleet/resume", null, ct);

    public async Task<bool> ResumeEngineAsync(string engine, CancellationToken ct) =>
        (await PostAsync<EngineResumeView>("api/fleet/resume", new JsonObject { ["engine"] = engine }, ct)).Resumed;

    public async Task<IReadOnlyList<EventView>> EventsAsync(long since, int limit, long? jobId, CancellationToken ct)
    {
        var path = $"api/events?since={since}&limit={limit}" + (jobId is { } j ? $"&job={j}" : "");
        return (await GetAsync<EventsEnvelope>(path, ct)).Events;
    }

    public async Task<LogChunk> ReadLogAsync(long id, int? attempt, long offset, CancellationToken ct)
    {
        var path = $"api/jobs/{id}/log?offset={offset}" + (attempt is { } a ? $"&attempt={a}" : "");
        using var msg = new HttpRequestMessage(HttpMethod.Get, path);
        using var resp = await SendRawAsync(msg, ct);
        var bytes = await resp.Content.ReadAsByteArrayAsync(ct);
        var n = int.Parse(resp.Headers.GetValues("X-Drover-Attempt").First());
        var next = long.Parse(resp.Headers.GetValues("X-Drover-Offset").First());
        var ended = resp.Headers.GetValues("X-Drover-Attempt-Ended").First() == "1";
        return new LogChunk(n, next, Encoding.UTF8.GetString(bytes), ended);
    }

    public async Task<IReadOnlyList<AlertView>> AlertsAsync(bool all, CancellationToken ct) =>
        (await GetAsync<AlertsEnvelope>(all ? "api/alerts?all=1" : "api/alerts", ct)).Alerts;

    public Task<AlertView> AckAlertAsync(long id, CancellationToken ct) => PostAsync<AlertView>($"api/alerts/{id}/ack", null, ct);

    private sealed record AlertsEnvelope(IReadOnlyList<AlertView> Alerts);

    public async Task<IReadOnlyList<ApprovalView>> ApprovalsAsync(long? jobId, bool all, CancellationToken ct)
    {
        var query = string.Join('&', new[] { jobId is { } j ? $"job={j}" : null, all ? "all=1" : null }.OfType<string>());
        return (await GetAsync<ApprovalsEnvelope>(query.Length == 0 ? "api/approvals" : $"api/approvals?{query}", ct)).Approvals;
    }

    public Task<ApprovalView> DecideToolAsync(long id, string decision, bool always, string by, CancellationToken ct) =>
        PostAsync<ApprovalView>($"api/approvals/{id}", new JsonObject { ["decision"] = decision, ["always"] = always, ["by"] = by }, ct);

    public async Task<IReadOnlyList<ProposalView>> ProposalsAsync(CancellationToken ct) =>
        (await GetAsync<ProposalsEnvelope>("api/proposals", ct)).Proposals;

    public Task<JobView> AcceptProposalAsync(long id, CancellationToken ct) => PostAsync<JobView>($"api/proposals/{id}/accept", null, ct);

    public Task<JobView> RejectProposalAsync(long id, string? reason, CancellationToken ct) =>
        PostAsync<JobView>($"api/proposals/{id}/reject", new JsonObject { ["reason"] = reason }, ct);

    private sealed record ProposalsEnvelope(IReadOnlyList<ProposalView> Proposals);

    public async Task<IReadOnlyList<ScheduleView>> SchedulesAsync(CancellationToken ct) =>
        (await GetAsync<SchedulesEnvelope>("api/schedules", ct)).Schedules;

    public Task<ScheduleView> AddScheduleAsync(ScheduleAddRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        return PostAsync<ScheduleView>("api/schedules", new JsonObject
        {
            ["name"] = request.Name,
            ["cron"] = request.Cron,
            ["timezone"] = request.Timezone,
            ["overlap"] = request.Overlap,
            ["catch_up"] = request.CatchUp,
            ["job"] = request.Job.DeepClone(),
            ["replace"] = request.Replace,
        }, ct);
    }

    public async Task RemoveScheduleAsync(string name, CancellationToken ct)
    {
        using var msg = new HttpRequestMessage(HttpMethod.Delete, $"api/schedules/{Uri.EscapeDataString(name)}");
        using var resp = await SendRawAsync(msg, ct);
    }

    public Task<SubmitView> RunScheduleAsync(string name, CancellationToken ct) =>
        PostAsync<SubmitView>($"api/schedules/{Uri.EscapeDataString(name)}/run", null, ct);

    public async Task<IReadOnlyList<Server.Trackers.TrackerSyncView>> SyncTrackersAsync(CancellationToken ct) =>
        (await PostAsync<TrackerSyncEnvelope>("api/trackers/sync", null, ct)).Trackers;

    public async Task<IReadOnlyList<Server.Trackers.TrackerView>> TrackersAsync(CancellationToken ct) =>
        (await GetAsync<TrackersEnvelope>("api/trackers", ct)).Trackers;

    private sealed record SchedulesEnvelope(IReadOnlyList<ScheduleView> Schedules);

    private sealed record TrackerSyncEnvelope(IReadOnlyList<Server.Trackers.TrackerSyncView> Trackers);

    private sealed record TrackersEnvelope(IReadOnlyList<Server.Trackers.TrackerView> Trackers);

    private sealed record ApprovalsEnvelope(IReadOnlyList<ApprovalView> Approvals);

    private Task<T> GetAsync<T>(string path, CancellationToken ct) =>
        SendAsync<T>(new HttpRequestMessage(HttpMethod.Get, path), ct);

    private Task<T> PostAsync<T>(string path, JsonObject? body, CancellationToken ct)
    {
        var msg = new HttpRequestMessage(HttpMethod.Post, path);
        if (body is not null)
            msg.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        return SendAsync<T>(msg, ct);
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage msg, CancellationToken ct)
    {
        using (msg)
        {
            using var resp = await SendRawAsync(msg, ct);
            var body = await resp.Content.ReadAsStringAsync(ct);
            return JsonSerializer.Deserialize<T>(body, DroverJson.Options) ?? throw new DroverException("empty response from server");
        }
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage msg, CancellationToken ct)
    {
        HttpResponseMessage resp;
        try
        {
            resp = await _http.SendAsync(msg, ct);
        }
        catch (HttpRequestException ex)
        {
            throw new ServerUnreachableException($"cannot reach the Drover server at {_http.BaseAddress}: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new ServerUnreachableException($"the Drover server at {_http.BaseAddress} did not answer in time", ex);
        }

        if (resp.IsSuccessStatusCode)
            return resp;

        using (resp)
        {
            var text = await resp.Content.ReadAsStringAsync(ct);
            ErrorView? err = null;
            try
            {
                err = JsonSerializer.Deserialize<ErrorView>(text, DroverJson.Options);
            }
            catch (JsonException)
            {
            }

            var message = err?.Error ?? $"HTTP {(int)resp.StatusCode}: {text}";
            throw resp.StatusCode switch
            {
                HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge => err?.Errors is { Count: > 1 } all ? new JobSpecException(all) : new JobSpecException(err?.Field, message),
                HttpStatusCode.NotFound => new NotFoundException(message),
                HttpStatusCode.Conflict => new ConflictException(message, err?.Id, err?.State),
                HttpStatusCode.Unauthorized => new DroverException("unauthorized: " + message + " (check --token or <home>/token)"),
                _ => new DroverException(message),
            };
        }
    }

    private sealed record WorkersEnvelope(IReadOnlyList<WorkerView> Workers);

    private sealed record EventsEnvelope(IReadOnlyList<EventView> Events);
}
