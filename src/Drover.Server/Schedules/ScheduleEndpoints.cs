using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Core;
using Drover.Server.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Schedules;

/// <summary><c>/api/schedules</c>: list, add, remove, and run one now (SPEC §12).</summary>
public static class ScheduleEndpoints
{
    public static void MapScheduleApi(this IEndpointRouteBuilder app, JobService jobs)
    {
        app.MapGet("/api/schedules", async (CancellationToken ct) =>
            Results.Json(new { schedules = await jobs.SchedulesAsync(ct) }, DroverJson.Options));
        app.MapPost("/api/schedules", async (HttpRequest req, CancellationToken ct) =>
        {
            var body = await ReadAsync(req, ct);
            var request = new ScheduleAddRequest(
                Text(body, "name") ?? throw new JobSpecException("name", "name is required"),
                Text(body, "cron") ?? throw new JobSpecException("cron", "cron is required"),
                Text(body, "timezone"),
                Text(body, "overlap"),
                Text(body, "catch_up"),
                body["job"] as JsonObject ?? throw new JobSpecException("job", "job must be an object of spec keys (the template)"),
                body["replace"] is JsonValue r && r.TryGetValue<bool>(out var replace) && replace);
            return Results.Json(await jobs.AddScheduleAsync(request, ct), DroverJson.Options, statusCode: 201);
        });
        app.MapDelete("/api/schedules/{name}", async (string name, CancellationToken ct) =>
        {
            await jobs.RemoveScheduleAsync(name, ct);
            return Results.Json(new { removed = name }, DroverJson.Options);
        });
        app.MapPost("/api/schedules/{name}/run", async (string name, CancellationToken ct) =>
            Results.Json(await jobs.RunScheduleAsync(name, ct), DroverJson.Options, statusCode: 201));
    }

    private static string? Text(JsonObject body, string key) => body[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw new JobSpecException(key, $"{key} must be a string"),
    };

    private static async Task<JsonObject> ReadAsync(HttpRequest req, CancellationToken ct)
    {
        try
        {
            return await JsonNode.ParseAsync(req.Body, cancellationToken: ct) as JsonObject ?? throw new JobSpecException(null, "body must be a JSON object");
        }
        catch (JsonException e)
        {
            throw new JobSpecException(null, "malformed JSON: " + e.Message);
        }
    }
}
