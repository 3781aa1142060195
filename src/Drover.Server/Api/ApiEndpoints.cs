using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Core;
using Drover.Server.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Api;

/// <summary>The REST surface of SPEC §10 .</summary>
public static class ApiEndpoints
{
    /// <param name="maxStreams"><c>[server] max_streams</c>: event streams and followed logs open at once.</param>
    public static void MapDroverApi(this IEndpointRouteBuilder app, JobService jobs, int maxStreams = 200)
    {
        var logger = app.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("drover");
        var slots = new StreamSlots(maxStreams, TimeProvider.System, logger);
        var hub = new EventHub(jobs, logger);
        app.ServiceProvider.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(hub.Dispose);

        // For monitors (no token): "ok", or "degraded" with a reason per worker or gap (FleetHealth). 200 either way:
        // the API answering is the server's health; the body is the fleet's. ?stale_s=N sets the heartbeat staleness.
        app.MapGet("/healthz", async (HttpRequest req, CancellationToken ct) =>
        {
            var stale = ParseInt(req.Query["stale_s"].FirstOrDefault(), "stale_s") is { } s && s > 0
                ? TimeSpan.FromSeconds(s)
                : FleetHealth.DefaultStaleAfter;
            var health = FleetHealth.Evaluate(await jobs.StatusAsync(ct), stale);
            return Results.Json(new { ok = health.Ok, status = health.Status, reasons = health.Reasons }, DroverJson.Options);
        });
        app.MapGet("/api/status", async (CancellationToken ct) => Json(await jobs.StatusAsync(ct)));
        app.MapGet("/api/workers", async (CancellationToken ct) => Json(new { workers = await jobs.WorkersAsync(ct) }));
        app.MapGet("/api/providers", async (CancellationToken ct) => Json(new { providers = await jobs.ProvidersAsync(ct) }));
        app.MapGet("/api/usage", async (HttpRequest req, CancellationToken ct) =>
            Json(await jobs.UsageAsync(req.Query["period"].FirstOrDefault() ?? "day", req.Query["by"].FirstOrDefault() ?? "provider", ct)));
        app.MapGet("/api/report", async (HttpRequest req, CancellationToken ct) =>
        {
            var days = ParseInt(req.Query["days"].FirstOrDefault(), "days");
            if (days is < 1)
                throw new JobSpecException("days", "days must be between 1 and 366");
            return Json(await jobs.ReportAsync(days ?? 0, ct));
        });

        app.MapPost("/api/jobs", async (HttpRequest req, CancellationToken ct) =>
        {
            var submitted = await jobs.SubmitAsync(await ReadSubmitAsync(req, ct), ct);
            var status = submitted.Outcome == "created" ? StatusCodes.Status201Created : StatusCodes.Status200OK;
            return Results.Json(submitted, DroverJson.Options, statusCode: status);
        });
        app.MapGet("/api/jobs", async (HttpRequest req, CancellationToken ct) =>
        {
            var q = req.Query;
            var query = new JobQuery(
                q["state"].FirstOrDefault(),
                q["label"].FirstOrDefault(),
                ParseInt(q["limit"].FirstOrDefault(), "limit") ?? 50,
                ParseLong(q["cursor"].FirstOrDefault(), "cursor"),
                q["engine"].FirstOrDefault(),
                q["q"].FirstOrDefault());
            return Json(await jobs.ListJobsAsync(query, ct));
        });
        app.MapGet("/api/jobs/{id:long}", async (long id, CancellationToken ct) => Json(await jobs.GetJobAsync(id, ct)));
        app.MapPost("/api/jobs/{id:long}/cancel", async (long id, CancellationToken ct) => Json(await jobs.CancelAsync(id, ct)));
        app.MapPost("/api/jobs/{id:long}/retry", async (long id, CancellationToken ct) => Json(await jobs.RetryAsync(id, ct)));
        app.MapPost("/api/jobs/{id:long}/deliver", async (long id, HttpRequest req, CancellationToken ct) =>
        {
            var body = req.ContentLength is null or 0 ? [] : await ReadObjectAsync(req, ct);
            var mode = body["mode"] switch
            {
                null => null,
                JsonValue m when m.TryGetValue<string>(out var ms) => ms,
                _ => throw new JobSpecException("mode", "body must be {\"mode\": \"push\" | \"pr\" | \"pr_draft\"} or empty"),
            };
            return Json(await jobs.DeliverAsync(id, mode, ct));
        });
        app.MapPost("/api/jobs/{id:long}/answer", async (long id, HttpRequest req, CancellationToken ct) =>
        {
            var body = await ReadObjectAsync(req, ct);
            var answer = body["answer"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new JobSpecException("answer", "body must be {\"answer\": \"text\"}");
            return Json(await jobs.AnswerAsync(id, answer, ct));
        });
        app.MapPost("/api/jobs/{id:long}/approve", async (long id, HttpRequest req, CancellationToken ct) =>
        {
            var body = req.ContentLength is null or 0 ? [] : await ReadObjectAsync(req, ct);
            var approve = body["approve"] is not JsonValue a || !a.TryGetValue<bool>(out var b) || b;
            var reason = body["reason"] is JsonValue r && r.TryGetValue<string>(out var rs) ? rs : null;
            return Json(await jobs.ApproveAsync(id, approve, reason, ct));
        });
        app.MapGet("/api/jobs/{id:long}/log", (long id, HttpContext ctx) => LogStreaming.ServeAsync(jobs, slots, id, ctx));
        app.MapGet("/api/events", async (HttpRequest req, CancellationToken ct) =>
        {
            var since = ParseLong(req.Query["since"].FirstOrDefault(), "since") ?? 0;
            var limit = ParseInt(req.Query["limit"].FirstOrDefault(), "limit") ?? 500;
            var jobId = ParseLong(req.Query["job"].FirstOrDefault(), "job");
            return Json(new { events = await jobs.EventsAsync(since, limit, jobId, ct) });
        });
        app.MapGet("/api/events/stream", (HttpContext ctx) => EventStream.ServeAsync(jobs, hub, slots, ctx));
        app.MapGet("/api/alerts", async (HttpRequest req, CancellationToken ct) =>
            Json(new { alerts = await jobs.AlertsAsync(req.Query["all"].FirstOrDefault() is "1" or "true", ct) }));
        app.MapPost("/api/alerts/{id:long}/ack", async (long id, CancellationToken ct) => Json(await jobs.AckAlertAsync(id, ct)));
        app.MapPost("/api/fleet/pause", async (CancellationToken ct) =>
        {
            await jobs.SetPausedAsync(true, ct);
            return Json(await jobs.StatusAsync(ct));
        });
        app.MapPost("/api/fleet/resume", async (HttpRequest req, CancellationToken ct) =>
        {
            // With an engine ({"engine": "claude"} or ?engine=claude): clear that engine's breaker and gate, not the pause.
            if ((req.Query["engine"].FirstOrDefault() ?? await EngineOfAsync(req, ct)) is { } engine)
                return Json(new EngineResumeView(engine, await jobs.ResumeEngineAsync(engine, ct)));
            await jobs.SetPausedAsync(false, ct);
            return Json(await jobs.StatusAsync(ct));
        });
    }

    private static IResult Json<T>(T value) => Results.Json(value, DroverJson.Options);

    private static async Task<SubmitRequest> ReadSubmitAsync(HttpRequest req, CancellationToken ct)
    {
        // The server's own directory means nothing to a remote submitter: repo must be given (absolute), unless
        // the client names its own directory as the default (X-Drover-Cwd, an absolute path).
        var given = req.Headers["X-Drover-Cwd"].FirstOrDefault() is { Length: > 0 } c && Path.IsPathRooted(c) ? c : null;
        var cwd = given ?? Path.GetPathRoot(Environment.CurrentDirectory) ?? "/";
        var bytes = await ReadBodyAsync(req, ct);
        var type = req.ContentType ?? "application/json";
        var format = type.StartsWith("text/markdown", StringComparison.OrdinalIgnoreCase) ? "markdown" : "json";
        return new SubmitRequest(null, bytes, format, cwd, RequireRepo: given is null);
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpRequest req, CancellationToken ct)
    {
        var bytes = await ReadBodyAsync(req, ct);
        try
        {
            return JsonNode.Parse(bytes) as JsonObject ?? throw new JobSpecException(null, "body must be a JSON object");
        }
        catch (JsonException ex)
        {
            throw new JobSpecException(null, "malformed JSON: " + ex.Message);
        }
    }

    private static async Task<string?> EngineOfAsync(HttpRequest req, CancellationToken ct)
    {
        if (req.ContentLength is null or 0 && req.Headers.TransferEncoding.Count == 0)
            return null;
        var body = await ReadObjectAsync(req, ct);
        return body["engine"] switch
        {
            null => null,
            JsonValue v when v.TryGetValue<string>(out var e) => e,
            _ => throw new JobSpecException("engine", "engine must be a string, e.g. {\"engine\": \"claude\"}"),
        };
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest req, CancellationToken ct)
    {
        using var ms = new MemoryStream();
        await req.Body.CopyToAsync(ms, ct);
        return ms.ToArray();
    }

    private static int? ParseInt(string? text, string field) =>
        text is null ? null : int.TryParse(text, out var v) ? v : throw new JobSpecException(field, $"{field} must be an integer");

    private static long? ParseLong(string? text, string field) =>
        text is null ? null : long.TryParse(text, out var v) ? v : throw new JobSpecException(field, $"{field} must be an integer");
}
