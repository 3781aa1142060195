using Microsoft.Extensions.Logging;

namespace Drover.Server.Alerts;

internal static partial class AlertLog
{
    [LoggerMessage(1040, LogLevel.Warning, "alert {Id}: {Message}")]
    public static partial void Raised(ILogger logger, long id, string message);

    [LoggerMessage(1041, LogLevel.Information, "alert {Id} delivered to {Sink} ({Tries} tries)")]
    public static partial void Delivered(ILogger logger, long id, string sink, int tries);

    [LoggerMessage(1042, LogLevel.Warning, "alert {Id} not delivered to {Sink} after {Tries} tries: {Why}")]
    public static partial void DeliveryFailed(ILogger logger, long id, string sink, int tries, string why);

    [LoggerMessage(1043, LogLevel.Warning, "alert sink {Sink} has no usable URL (its environment variable or secret is unset, or not http(s)); it is skipped")]
    public static partial void SinkUnusable(ILogger logger, string sink);

    [LoggerMessage(1044, LogLevel.Warning, "could not record the delivery of alert {Id}")]
    public static partial void StoreFailed(ILogger logger, Exception ex, long id);

    [LoggerMessage(1046, LogLevel.Information, "alert {Id} was never delivered (its server stopped first): delivering it now")]
    public static partial void TakenOver(ILogger logger, long id);

    [LoggerMessage(1045, LogLevel.Warning, "alert rules: store call failed; retrying")]
    public static partial void MonitorError(ILogger logger, Exception ex);
}
