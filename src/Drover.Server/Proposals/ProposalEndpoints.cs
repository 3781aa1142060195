using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Core;
using Drover.Server.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Proposals;

/// <summary>
/// <c>GET /api/proposals</c> (jobs waiting for a person), <c>POST /api/proposals/{id}/accept</c> and
/// <c>POST /api/proposals/{id}/reject</c> with an optional <c>{"reason": "..."}</c> (SPEC §12).
/// </summary>
public static class ProposalEndpoints
{
    public static void MapProposalApi(this IEndpointRouteBuilder app, JobService jobs)
    {
        app.MapGet("/api/proposals", async (CancellationToken ct) =>
            Results.Json(new { proposals = await jobs.ProposalsAsync(ct) }, DroverJson.Options));
        app.MapPost("/api/proposals/{id:long}/accept", async (long id, CancellationToken ct) =>
            Results.Json(await jobs.AcceptProposalAsync(id, ct), DroverJson.Options));
        app.MapPost("/api/proposals/{id:long}/reject", async (long id, HttpRequest req, CancellationToken ct) =>
        {
            var body = await ReadAsync(req, ct);
            var reason = body?["reason"] switch
            {
                null => null,
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                _ => throw new JobSpecException("reason", "reason must be a string"),
            };
            return Results.Json(await jobs.RejectProposalAsync(id, reason, ct), DroverJson.Options);
        });
    }

    /// <summary>The body, or null when there is none (a reject without a reason).</summary>
    private static async Task<JsonObject?> ReadAsync(HttpRequest req, CancellationToken ct)
    {
        if (req.ContentLength is 0 || (req.ContentLength is null && !req.Headers.ContainsKey("Transfer-Encoding")))
            return null;
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
