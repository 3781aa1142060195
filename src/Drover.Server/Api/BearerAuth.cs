using System.Security.Cryptography;
using System.Text;
using Drover.Server.Jobs;
using Microsoft.AspNetCore.Http;

namespace Drover.Server.Api;

/// <summary>
/// Every request but <c>/healthz</c> needs <c>Authorization: Bearer &lt;token&gt;</c> (SPEC §1.5). The gateway's
/// <c>/v1</c> routes also take a running attempt's own key (<see cref="Core.Gateway.JobKeys"/>); the job and attempt it
/// names are put in <see cref="HttpContext.Items"/> under <see cref="JobKeyItem"/> so spend lands on that job.
/// </summary>
public sealed class BearerAuth(RequestDelegate next, string token, Func<long, int, CancellationToken, Task<bool>> attemptRunning)
{
    public const string JobKeyItem = "drover.job-key";

    private readonly byte[] _token = Encoding.UTF8.GetBytes(token);

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Path.Equals("/healthz", StringComparison.Ordinal) || IsAuthorized(context.Request))
        {
            await next(context);
            return;
        }

        if (context.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal)
            && Given(context.Request) is { } given && Core.Gateway.JobKeys.Verify(token, given) is var (job, attempt)
            && await attemptRunning(job, attempt, context.RequestAborted))
        {
            context.Items[JobKeyItem] = (job, attempt);
            await next(context);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        await context.Response.WriteAsJsonAsync(new ErrorView("missing or invalid bearer token"), DroverJson.Options);
    }

    /// <summary>The bearer token, or on <c>/v1</c> the <c>x-api-key</c> header Anthropic-protocol clients send instead.</summary>
    private static string? Given(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string prefix = "Bearer ";
        if (header.StartsWith(prefix, StringComparison.Ordinal))
            return header[prefix.Length..].Trim();
        return request.Path.StartsWithSegments("/v1", StringComparison.Ordinal) && request.Headers["x-api-key"] is { Count: 1 } key ? key.ToString().Trim() : null;
    }

    private bool IsAuthorized(HttpRequest request) =>
        Given(request) is { } given && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), _token);
}
