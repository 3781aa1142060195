using System.Net;
using Drover.Core.Access;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Dashboard;

/// <summary>
/// The web dashboard at <c>/</c>: <c>GET /login?code=</c> trades a link from <c>drover dashboard</c> for the session
/// cookie, and every other path outside the API is one of the embedded files (<see cref="DashboardAssets"/>), served
/// with a Content-Security-Policy that lets the page talk to this server and nothing else.
/// </summary>
public static class DashboardEndpoints
{
    public const string LoginPath = "/login";

    /// <summary>Only this origin: no inline script or style, no other host, not framed.</summary>
    public const string ContentSecurityPolicy = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>Paths the dashboard serves (pages and assets), as opposed to the API, gateway, metrics and health.</summary>
    public static bool IsDashboardPath(PathString path) =>
        !path.StartsWithSegments("/api", StringComparison.Ordinal)
        && !path.StartsWithSegments("/v1", StringComparison.Ordinal)
        && !path.StartsWithSegments("/metrics", StringComparison.Ordinal)
        && !path.StartsWithSegments("/healthz", StringComparison.Ordinal);

    public static void MapDashboard(this IEndpointRouteBuilder app, DashboardSessions sessions)
    {
        app.MapGet(LoginPath, async (HttpContext ctx, ILoggerFactory logs) =>
        {
            var logger = logs.CreateLogger("Drover.Server.Dashboard");
            var outcome = sessions.Redeem(ctx.Request.Query["code"].FirstOrDefault(), out var session);
            if (outcome != LoginOutcome.Accepted)
            {
                if (outcome == LoginOutcome.AlreadyUsed)
                    Log.LoginReplayed(logger);
                else
                    Log.LoginRefused(logger);
                ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
                await WriteLoginNeededAsync(ctx, outcome == LoginOutcome.AlreadyUsed
                    ? "That login link was already used (each link logs in once)."
                    : "That login link is invalid or has expired (links last 10 minutes).");
                return;
            }

            Log.LoginAccepted(logger, ctx.Connection.RemoteIpAddress?.ToString());
            ctx.Response.Cookies.Append(DashboardLogin.CookieName, session!, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Path = "/",
                MaxAge = DashboardLogin.SessionLifetime,
                Secure = ctx.Request.IsHttps,
            });
            ctx.Response.Headers.CacheControl = "no-store";
            ctx.Response.Redirect("/");
        });

        // Sessions are not tracked one by one: logging out moves the generation on, which signs out every browser.
        app.MapPost("/logout", (HttpContext ctx, ILoggerFactory logs) =>
        {
            Log.LoggedOut(logs.CreateLogger("Drover.Server.Dashboard"), sessions.LogoutAll());
            ctx.Response.Cookies.Delete(DashboardLogin.CookieName, new CookieOptions { Path = "/", SameSite = SameSiteMode.Strict, HttpOnly = true });
            return Results.NoContent();
        });

        app.MapGet("/{**path}", async (HttpContext ctx) =>
        {
            if (!IsDashboardPath(ctx.Request.Path) || DashboardAssets.Find(ctx.Request.Path.Value) is not { } asset)
            {
                ctx.Response.StatusCode = StatusCodes.Status404NotFound;
                await ctx.Response.WriteAsJsonAsync(new Jobs.ErrorView("not found: " + ctx.Request.Path.Value), Jobs.DroverJson.Options, ctx.RequestAborted);
                return;
            }

            await ServeAsync(ctx, asset);
        });
    }

    private static async Task ServeAsync(HttpContext ctx, DashboardAsset asset)
    {
        SetHeaders(ctx.Response);
        ctx.Response.Headers.ETag = asset.ETag;
        if (ctx.Request.Headers.IfNoneMatch.ToString() == asset.ETag)
        {
            ctx.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        ctx.Response.ContentType = asset.ContentType;
        ctx.Response.ContentLength = asset.Bytes.Length;
        await ctx.Response.Body.WriteAsync(asset.Bytes, ctx.RequestAborted);
    }

    /// <summary>The small page an unauthenticated browser gets: how to log in, with no script, style or link.</summary>
    public static async Task WriteLoginNeededAsync(HttpContext ctx, string why)
    {
        SetHeaders(ctx.Response);
        ctx.Response.ContentType = "text/html; charset=utf-8";
        var html =
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">" +
            "<title>Drover: log in</title></head><body><h1>Drover</h1><p>" + WebUtility.HtmlEncode(why) + "</p>" +
            "<p>Run <code>drover dashboard</code> on this machine to get a login link.</p></body></html>";
        await ctx.Response.WriteAsync(html, ctx.RequestAborted);
    }

    private static void SetHeaders(HttpResponse response)
    {
        response.Headers.CacheControl = "no-cache";
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
    }
}
