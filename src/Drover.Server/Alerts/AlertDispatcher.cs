using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Drover.Core.Configuration;
using Drover.Core.Storage;
using Drover.Server.Jobs;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Drover.Server.Alerts;

/// <summary>
/// Delivers raised alerts to the configured sinks off the fleet's path: <see cref="Enqueue"/> never waits, every alert
/// is delivered on its own task (at most 8 at once), each sink retried with exponential backoff, and a sink that hangs
/// costs only its own timeout. What each sink said is stored with the alert. URLs (Slack and Discord ones are
/// credentials) are never logged.
/// </summary>
public sealed class AlertDispatcher : IDisposable
{
    private readonly AlertsConfig _config;
    private readonly List<ResolvedSink> _sinks;
    private readonly IJobStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly Channel<AlertRecord> _queue = Channel.CreateBounded<AlertRecord>(
        new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    private readonly SemaphoreSlim _parallel = new(8);
    private readonly ResiliencePipeline<HttpStatusCode> _retry;

    /// <param name="resolve">A sink's URL and optional bearer token (from the environment or the secret store).</param>
    public AlertDispatcher(
        AlertsConfig config,
        Func<AlertSinkConfig, (string? Url, string? Token)> resolve,
        IJobStore store,
        TimeProvider time,
        ILogger logger,
        HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(resolve);
        _config = config;
        _retry = new ResiliencePipelineBuilder<HttpStatusCode>()
            .AddRetry(new RetryStrategyOptions<HttpStatusCode>
            {
                MaxRetryAttempts = Math.Max(0, config.Retries - 1),
                BackoffType = DelayBackoffType.Exponential,
                Delay = TimeSpan.FromSeconds(1),
                MaxDelay = TimeSpan.FromSeconds(60),
                UseJitter = true,
                ShouldHandle = new PredicateBuilder<HttpStatusCode>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutException>()
                    .HandleResult(Retryable),
            })
            .Build();
        _store = store;
        _time = time;
        _logger = logger;
        _http = new HttpClient(handler ?? new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }, disposeHandler: true)
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        var sinks = new List<ResolvedSink>();
        foreach (var sink in config.Sinks)
        {
            var (url, token) = resolve(sink);
            if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                Log.AlertSinkUnusable(logger, sink.Kind);
                continue;
            }

            sinks.Add(new ResolvedSink(sink, uri, token));
        }

        _sinks = sinks;
    }

    public int SinkCount => _sinks.Count;

    /// <summary>The longest one alert's delivery can take: every try of the slowest sink timing out, with the longest backoffs.</summary>
    public TimeSpan MaxDeliveryTime =>
        _sinks.Count == 0 ? TimeSpan.Zero : (_sinks.Max(s => s.Config.Timeout) + TimeSpan.FromSeconds(60)) * Math.Max(1, _config.Retries);

    public void Dispose()
    {
        _http.Dispose();
        _parallel.Dispose();
    }

    /// <summary>Queues an alert for delivery; never blocks (the oldest undelivered alert is dropped past 1,000).</summary>
    public void Enqueue(AlertRecord alert)
    {
        if (_sinks.Count > 0)
            _queue.Writer.TryWrite(alert);
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var running = new List<Task>();
        try
        {
            await foreach (var alert in _queue.Reader.ReadAllAsync(ct))
            {
                await _parallel.WaitAsync(ct);
                running.RemoveAll(t => t.IsCompleted);
                running.Add(Task.Run(
                    async () =>
                    {
                        try
                        {
                            await DeliverAsync(alert, ct);
                        }
                        finally
                        {
                            _parallel.Release();
                        }
                    },
                    CancellationToken.None));
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }

        await Task.WhenAll(running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task DeliverAsync(AlertRecord alert, CancellationToken ct)
    {
        var results = await Task.WhenAll(_sinks.Select(s => DeliverToAsync(s, alert, ct)));
        try
        {
            await _store.AlertDeliveredAsync(new AlertDeliveredParams(alert.Id, string.Join("; ", results), _time.GetUtcNow()), ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.AlertStoreFailed(_logger, e, alert.Id);
        }
    }

    private async Task<string> DeliverToAsync(ResolvedSink sink, AlertRecord alert, CancellationToken ct)
    {
        var tries = 0;
        try
        {
            var status = await _retry.ExecuteAsync(
                async token =>
                {
                    tries++;
                    return await SendOnceAsync(sink, alert, token);
                },
                ct);
            var ok = (int)status is >= 200 and < 300;
            if (ok)
                Log.AlertDelivered(_logger, alert.Id, sink.Config.Kind, tries);
            else
                Log.AlertDeliveryFailed(_logger, alert.Id, sink.Config.Kind, tries, $"HTTP {(int)status}");
            return ok ? $"{sink.Config.Kind}: delivered ({Tries(tries)})" : $"{sink.Config.Kind}: failed, HTTP {(int)status} ({Tries(tries)})";
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException)
        {
            Log.AlertDeliveryFailed(_logger, alert.Id, sink.Config.Kind, tries, e.GetType().Name);
            return $"{sink.Config.Kind}: failed, {(e is TimeoutException ? "timed out" : "unreachable")} ({Tries(tries)})";
        }
    }

    private static string Tries(int n) => n == 1 ? "1 try" : $"{n} tries";

    /// <summary>5xx, 408 and 429 are worth another try; any other 4xx will not get better.</summary>
    private static bool Retryable(HttpStatusCode status) => (int)status is >= 500 or 408 or 429;

    private async Task<HttpStatusCode> SendOnceAsync(ResolvedSink sink, AlertRecord alert, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(sink.Config.Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, sink.Url) { Content = Body(sink.Config.Kind, alert) };
        if (sink.Config.Kind == "ntfy")
        {
            request.Headers.TryAddWithoutValidation("Title", $"Drover: {alert.Kind.Replace('_', ' ')}");
            request.Headers.TryAddWithoutValidation("Tags", "warning");
            if (sink.Token is { } token)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return response.StatusCode;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture, $"no answer within {sink.Config.Timeout.TotalSeconds:0.###} s"));
        }
    }

    /// <summary>The sink's own format: JSON for a webhook, plain text for ntfy, <c>text</c> for Slack, <c>content</c> for Discord.</summary>
    public static HttpContent Body(string kind, AlertRecord alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var line = alert.Message;
        return kind switch
        {
            "ntfy" => new StringContent(line, Encoding.UTF8, "text/plain"),
            "slack" => Json(new { text = line }),
            "discord" => Json(new { content = line.Length > 1900 ? line[..1900] : line }),
            _ => Json(new
            {
                id = alert.Id,
                key = alert.Key,
                kind = alert.Kind,
                subject = alert.Subject,
                message = line,
                first_at = alert.FirstAt,
                count = alert.Count,
                data = JsonDocument.Parse(alert.DataJson).RootElement,
            }),
        };
    }

    private static StringContent Json<T>(T value) =>
        new(JsonSerializer.Serialize(value, DroverJson.Options), Encoding.UTF8, "application/json");

    private sealed record ResolvedSink(AlertSinkConfig Config, Uri Url, string? Token);
}
