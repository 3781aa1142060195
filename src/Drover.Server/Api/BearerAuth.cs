using System.Security.Cryptography;
using System.Text;
using Drover.Server.Jobs;
using Microsoft.AspNetCore.Http;

namespace Drover.Server.Api;

/// <summary>Every request but <c>/healthz</c> needs <c>Authorization: Bearer &lt;token&gt;</c> (SPEC §1.5).</summary>
public sealed class BearerAuth(RequestDelegate next, string token)
{
    private readonly byte[] _token = Encoding.UTF8.GetBytes(token);

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Path.Equals("/healthz", StringComparison.Ordinal) || IsAuthorized(context.Request))
        {
            await next(context);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        await context.Response.WriteAsJsonAsync(new ErrorView("missing or invalid bearer token"), DroverJson.Options);
    }

    private bool IsAuthorized(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string prefix = "Bearer ";
        if (!header.StartsWith(prefix, StringComparison.Ordinal))
            return false;
        var given = Encoding.UTF8.GetBytes(header[prefix.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(given, _token);
    }
}
