using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Core;
using Drover.Server.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Approvals;

/// <summary><c>GET /api/approvals</c> (pending tool calls) and <c>POST /api/approvals/{id}</c> (a person's decision).</summary>
public static class ApprovalEndpoints
{
    public static void MapApprovalApi(this IEndpointRouteBuilder app, JobService jobs)
    {
        app.MapGet("/api/approvals", async (HttpRequest req, CancellationToken ct) =>
        {
            var job = req.Query["job"].FirstOrDefault() is { } text
                ? long.TryParse(text, out var j) ? j : throw new JobSpecException("job", "job must be an integer")
                : (long?)null;
            var all = req.Query["all"].FirstOrDefault() is "1" or "true";
            return Results.Json(new { approvals = await jobs.ApprovalsAsync(job, all, ct) }, DroverJson.Options);
        });
        app.MapPost("/api/approvals/{id:long}", async (long id, HttpRequest req, CancellationToken ct) =>
        {
            var body = await ReadAsync(req, ct);
            var decision = body["decision"] is JsonValue d && d.TryGetValue<string>(out var ds)
                ? ds
                : throw new JobSpecException("decision", "body must be {\"decision\": \"allow\" | \"deny\", \"always\": false}");
            var always = body["always"] switch
            {
                null => false,
                JsonValue v when v.TryGetValue<bool>(out var b) => b,
                _ => throw new JobSpecException("always", "always must be true or false"),
            };
            var by = body["by"] switch
            {
                null => "api",
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                _ => throw new JobSpecException("by", "by must be a string (who decides)"),
            };
            return Results.Json(await jobs.DecideToolAsync(id, decision, always, by, ct), DroverJson.Options);
        });
    }

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
