using System.Text.Json;
using Drover.Core;
using Drover.Server.Jobs;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Api;

/// <summary>Maps Drover's exceptions to 400/404/409 with <c>{"error", "field"}</c>; bad input never yields a 500.</summary>
public sealed partial class ErrorMapping(RequestDelegate next, ILogger<ErrorMapping> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (Exception ex) when (!context.Response.HasStarted && Map(ex) is { } mapped)
        {
            context.Response.Clear();
            context.Response.StatusCode = mapped.Status;
            await context.Response.WriteAsJsonAsync(mapped.Body, DroverJson.Options);
        }
        catch (Exception ex) when (!context.Response.HasStarted && ex is not OperationCanceledException)
        {
            LogUnhandled(logger, ex, context.Request.Path);
            context.Response.Clear();
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await context.Response.WriteAsJsonAsync(new ErrorView("internal error: " + ex.GetType().Name), DroverJson.Options);
        }
    }

    internal static (int Status, ErrorView Body)? Map(Exception ex) => ex switch
    {
        JobSpecException s => (400, new ErrorView(s.Message, s.Field, Errors: s.Errors)),
        NotFoundException n => (404, new ErrorView(n.Message)),
        ConflictException c => (409, new ErrorView(c.Message, null, c.JobId, c.State)),
        JsonException j => (400, new ErrorView("malformed JSON: " + j.Message)),
        BadHttpRequestException b => (b.StatusCode, new ErrorView(b.Message)),
        FormatException f => (400, new ErrorView(f.Message)),
        _ => null,
    };

    [LoggerMessage(1100, LogLevel.Error, "unhandled error serving {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception ex, PathString path);
}
