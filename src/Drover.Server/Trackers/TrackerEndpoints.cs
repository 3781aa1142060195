using Drover.Core;
using Drover.Server.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Trackers;

/// <summary><c>/api/trackers</c>: the configured trackers, and one sync pass now (SPEC §12).</summary>
public static class TrackerEndpoints
{
    public static void MapTrackerApi(this IEndpointRouteBuilder app, JobService jobs)
    {
        app.MapGet("/api/trackers", async (CancellationToken ct) =>
            Results.Json(new { trackers = await jobs.TrackersAsync(ct) }, DroverJson.Options));
        app.MapPost("/api/trackers/sync", async (CancellationToken ct) =>
            Results.Json(new { trackers = await jobs.SyncTrackersAsync(ct) }, DroverJson.Options));
    }
}
