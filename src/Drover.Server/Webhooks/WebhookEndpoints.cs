using System.Text.Json;
using Drover.Core;
using Drover.Core.Configuration;
using Drover.Core.Secrets;
using Drover.Core.Storage;
using Drover.Server.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Webhooks;

/// <summary>
/// <c>POST /hooks/github</c> and <c>/hooks/gitea</c> (SPEC §12): outside the bearer token, signed with the secret named
/// by <c>[webhooks]</c>. Order: configured (404), body within <see cref="MaxBodyBytes"/> (413), signature (401), delivery
/// id not seen before (200 duplicate), then the event: issue events feed <see cref="IssueIntake"/>, failed checks and
/// reviews asking for changes queue <see cref="FollowUps"/>, others are 202 ignored.
/// Nothing is stored before the signature checks out. Octokit.Webhooks.AspNetCore is not used: it reads the body without a
/// cap, answers 400 to a bad signature, has no hook to deduplicate before dispatch, and speaks GitHub only; the few issue
/// fields needed here are read with System.Text.Json.
/// </summary>
public static class WebhookEndpoints
{
    public const int MaxBodyBytes = 1024 * 1024;

    /// <summary>The paths <see cref="Api.BearerAuth"/> lets through: their requests are checked by signature instead.</summary>
    public static bool IsHookPath(PathString path) =>
        path.Equals("/hooks/github", StringComparison.OrdinalIgnoreCase) || path.Equals("/hooks/gitea", StringComparison.OrdinalIgnoreCase);

    public static void MapWebhooks(this IEndpointRouteBuilder app, WebhooksConfig config, SecretStore secrets, IssueIntake intake, FollowUps followUps,
        IJobStore store, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost("/hooks/github", (Delegate)((HttpContext c) => HandleAsync(c, "github", config, secrets, intake, followUps, store, time, logger)));
        app.MapPost("/hooks/gitea", (Delegate)((HttpContext c) => HandleAsync(c, "gitea", config, secrets, intake, followUps, store, time, logger)));
    }

    private static async Task<IResult> HandleAsync(HttpContext c, string kind, WebhooksConfig config, SecretStore secrets, IssueIntake intake,
        FollowUps followUps, IJobStore store, TimeProvider time, ILogger logger)
    {
        var ct = c.RequestAborted;
        if (config.SecretFor(kind) is not { } name)
            return Error(StatusCodes.Status404NotFound, $"{kind} webhooks are not configured (set [webhooks] {kind}_secret)");
        string? secret;
        try
        {
            secret = secrets.Get(name);
        }
        catch (DroverException e)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, $"{kind} webhooks are unavailable: {e.Message}");
        }

        if (secret is null)
            return Error(StatusCodes.Status503ServiceUnavailable, $"{kind} webhooks are unavailable: secret {name} named by [webhooks] {kind}_secret is not set");

        var body = await ReadCappedAsync(c.Request, ct);
        if (body is null)
        {
            Log.WebhookTooLarge(logger, kind, MaxBodyBytes);
            return Error(StatusCodes.Status413PayloadTooLarge, $"webhook body is larger than {MaxBodyBytes / 1024} KiB");
        }

        var headers = c.Request.Headers;
        var signed = kind == "gitea" && headers["X-Gitea-Signature"].ToString() is { Length: > 0 } bare
            ? WebhookSignature.Verify(secret, body, bare, bareHex: true)
            : WebhookSignature.Verify(secret, body, headers["X-Hub-Signature-256"].ToString());
        if (!signed)
        {
            Log.WebhookBadSignature(logger, kind, c.Connection.RemoteIpAddress?.ToString() ?? "?");
            return Error(StatusCodes.Status401Unauthorized, "webhook signature missing or invalid");
        }

        var prefix = kind == "github" ? "X-GitHub" : "X-Gitea";
        var delivery = headers[$"{prefix}-Delivery"].ToString();
        var eventName = headers[$"{prefix}-Event"].ToString();
        if (delivery.Length is 0 or > 200)
            return Error(StatusCodes.Status400BadRequest, $"missing or overlong {prefix}-Delivery header");
        if (eventName.Length is 0 or > 100)
            return Error(StatusCodes.Status400BadRequest, $"missing or overlong {prefix}-Event header");

        if (!await store.WebhookDeliveryBeginAsync(new(kind, delivery, eventName, time.GetUtcNow()), ct))
            return Results.Json(new WebhookView(delivery, "duplicate"), DroverJson.Options, statusCode: StatusCodes.Status200OK);

        string outcome;
        try
        {
            outcome = await DispatchAsync(kind, eventName, body, intake, followUps, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await store.WebhookDeliveryEndAsync(new(kind, delivery, "failed"), CancellationToken.None);
            throw;
        }
        catch (OperationCanceledException)
        {
            await store.WebhookDeliveryEndAsync(new(kind, delivery, "failed"), CancellationToken.None);
            throw;
        }

        await store.WebhookDeliveryEndAsync(new(kind, delivery, outcome), CancellationToken.None);
        Log.WebhookHandled(logger, kind, eventName, delivery, outcome);
        var status = outcome.StartsWith("ignored", StringComparison.Ordinal) ? StatusCodes.Status202Accepted : StatusCodes.Status200OK;
        return Results.Json(new WebhookView(delivery, outcome), DroverJson.Options, statusCode: status);
    }

    private static async Task<string> DispatchAsync(string kind, string eventName, byte[] body, IssueIntake intake, FollowUps followUps, CancellationToken ct)
    {
        if (eventName == "ping")
            return "pong";
        var followUp = FollowUps.Handles(kind, eventName);
        if (!followUp && eventName is not ("issues" or "issue_label"))
            return $"ignored: event {eventName}";
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return "ignored: body is not JSON";
        }

        using (doc)
        {
            return followUp
                ? await followUps.HandleAsync(kind, eventName, doc.RootElement, ct)
                : await intake.HandleAsync(kind, doc.RootElement, ct);
        }
    }

    /// <summary>The whole body, or null when it is larger than <see cref="MaxBodyBytes"/> (by its length or as read).</summary>
    private static async Task<byte[]?> ReadCappedAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes)
            return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
                return null;
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static IResult Error(int status, string message) => Results.Json(new ErrorView(message), DroverJson.Options, statusCode: status);
}

/// <param name="Outcome">What the delivery did: <c>created</c>, <c>superseded</c>, <c>existing</c>, <c>cancelled</c>,
/// <c>duplicate</c>, <c>ignored: …</c>, <c>unchanged: …</c>, <c>rejected: …</c>.</param>
public sealed record WebhookView(string Delivery, string Outcome);
