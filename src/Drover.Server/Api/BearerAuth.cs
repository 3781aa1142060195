using System.Security.Cryptography;
using System.Text;
using Drover.Core.Access;
using Drover.Server.Dashboard;
using Drover.Server.Jobs;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Api;

/// <summary>
/// Every request but <c>/healthz</c>, <c>/login</c> and the forge webhooks (<c>/hooks/github</c>, <c>/hooks/gitea</c>,
/// signed instead) needs <c>Authorization: Bearer &lt;token&gt;</c> (SPEC §1.5). The
/// dashboard's pages and <c>/api/*</c> also take the <see cref="DashboardLogin.CookieName"/> session cookie (never the
/// gateway's <c>/v1</c> or <c>/metrics</c>); a cookie-authenticated write must not come from another origin. The
/// gateway's <c>/v1</c> routes also take a running attempt's own key (<see cref="Core.Gateway.JobKeys"/>); the job and
/// attempt it names are put in <see cref="HttpContext.Items"/> under <see cref="JobKeyItem"/> so spend lands on that job.
/// </summary>
public sealed class BearerAuth(
    RequestDelegate next, string token, Func<long, int, CancellationToken, Task<bool>> attemptRunning, TimeProvider time, ILogger<BearerAuth> logger)
{
    public const string JobKeyItem = "drover.job-key";

    private readonly byte[] _token = Encoding.UTF8.GetBytes(token);
    private readonly AuthFailureThrottle _failures = new(time);

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.Path.Equals("/healthz", StringComparison.OrdinalIgnoreCase)
            || request.Path.Equals(DashboardEndpoints.LoginPath, StringComparison.OrdinalIgnoreCase)
            || Webhooks.WebhookEndpoints.IsHookPath(request.Path)
            || IsAuthorized(request))
        {
            await next(context);
            return;
        }

        if (CookieAllowed(request.Path) && context.RequestServices.GetRequiredService<DashboardSessions>().Verify(request.Cookies[DashboardLogin.CookieName], time.GetUtcNow()))
        {
            if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && !SameOrigin(request))
            {
                Log.CrossOriginRefused(logger, request.Method, request.Path.Value, request.Headers.Origin.ToString());
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsJsonAsync(new ErrorView("cross-origin request refused"), DroverJson.Options);
                return;
            }

            await next(context);
            return;
        }

        if (request.Path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase)
            && Given(request) is { } given && Core.Gateway.JobKeys.Verify(token, given) is var (job, attempt)
            && await attemptRunning(job, attempt, context.RequestAborted))
        {
            context.Items[JobKeyItem] = (job, attempt);
            await next(context);
            return;
        }

        if (await RefuseAsync(context))
            return;
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        if (DashboardEndpoints.IsDashboardPath(request.Path))
        {
            await DashboardEndpoints.WriteLoginNeededAsync(context, "You are not logged in.");
            return;
        }

        await context.Response.WriteAsJsonAsync(new ErrorView("missing or invalid bearer token"), DroverJson.Options);
    }

    /// <summary>
    /// Counts a failed authentication: logged (path and address, never what was presented) at most once a minute per
    /// address, and answered 429 once the address failed too often (true: the response is written).
    /// </summary>
    private async Task<bool> RefuseAsync(HttpContext context)
    {
        var verdict = _failures.Fail(context.Connection.RemoteIpAddress);
        if (verdict.Report > 0)
            Log.AuthFailed(logger, verdict.Report, verdict.Remote, context.Request.Method, context.Request.Path.Value);
        if (verdict.RetryAfter is not { } wait)
            return false;
        var seconds = (int)Math.Max(1, Math.Ceiling(wait.TotalSeconds));
        if (verdict.ThrottleStarted)
            Log.AuthThrottled(logger, verdict.Remote, AuthFailureThrottle.Limit, seconds);
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await context.Response.WriteAsJsonAsync(
            new ErrorView($"too many failed authentications from this address: requests without a valid token are refused for {seconds} s"), DroverJson.Options);
        return true;
    }

    /// <summary>The session cookie opens the dashboard and its API, not the model gateway nor the metrics scrape.
    /// Routing matches paths in any case, so this check does too (<c>/V1</c> is the gateway).</summary>
    private static bool CookieAllowed(PathString path) =>
        !path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase) && !path.StartsWithSegments("/metrics", StringComparison.OrdinalIgnoreCase);

    /// <summary>No Origin (same-origin fetches may omit it on some methods) or one naming this very host.</summary>
    private static bool SameOrigin(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
            return true;
        return Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            && string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The bearer token, or on <c>/v1</c> the <c>x-api-key</c> header Anthropic-protocol clients send instead.</summary>
    private static string? Given(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string prefix = "Bearer ";
        if (header.StartsWith(prefix, StringComparison.Ordinal))
            return header[prefix.Length..].Trim();
        return request.Path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase) && request.Headers["x-api-key"] is { Count: 1 } key ? key.ToString().Trim() : null;
    }

    private bool IsAuthorized(HttpRequest request) =>
        Given(request) is { } given && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), _token);
}
