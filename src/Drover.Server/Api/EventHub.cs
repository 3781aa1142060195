using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Drover.Server.Jobs;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Api;

/// <summary>One event as an SSE frame, formatted and encoded once for every stream.</summary>
public sealed record EventFrame(long Id, ReadOnlyMemory<byte> Utf8)
{
    public static EventFrame Of(EventView e) =>
        new(e.Id, Encoding.UTF8.GetBytes($"id: {e.Id}\nevent: {e.Type}\ndata: {JsonSerializer.Serialize(e, DroverJson.Options)}\n\n"));
}

/// <summary>
/// Fans the event log out to every open event stream from one reader per server: a loop reads what is new once
/// (waking on the store's change signal) and hands each frame to every subscriber's bounded channel. A subscriber
/// that falls <see cref="Backlog"/> frames behind is dropped rather than allowed to hold the others back; its
/// client resumes with Last-Event-ID. Nobody listening: the loop reads nothing.
/// </summary>
public sealed class EventHub : IDisposable
{
    public const int Backlog = 1024;
    private const int Page = 500;

    private readonly Func<long, int, CancellationToken, Task<IReadOnlyList<EventView>>> _read;
    private readonly Func<CancellationToken, Task<long>> _lastId;
    private readonly Func<TimeSpan, CancellationToken, Task> _waitForChange;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly List<Channel<EventFrame>> _subscribers = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _starting = new(1, 1);
    private TaskCompletionSource _listened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;
    private long _last;
    private long _reads;

    public EventHub(JobService jobs, ILogger logger)
        : this((since, limit, ct) => jobs.EventsAsync(since, limit, null, ct), jobs.Store.EventLastIdAsync, jobs.Store.WaitForChangeAsync, logger)
    {
    }

    public EventHub(
        Func<long, int, CancellationToken, Task<IReadOnlyList<EventView>>> read,
        Func<CancellationToken, Task<long>> lastId,
        Func<TimeSpan, CancellationToken, Task> waitForChange,
        ILogger logger)
    {
        _read = read;
        _lastId = lastId;
        _waitForChange = waitForChange;
        _logger = logger;
    }

    /// <summary>Reads of the event log by the broadcast loop (one per wake-up, whatever the number of streams).</summary>
    public long Reads => Interlocked.Read(ref _reads);

    public int Subscribers
    {
        get
        {
            lock (_gate)
                return _subscribers.Count;
        }
    }

    /// <summary>
    /// Joins the broadcast. Every event after <see cref="Subscription.JoinedAt"/> arrives on the channel; what came
    /// before is the caller's to read from the store (<see cref="ReadAsync"/>), and frames it already has are skipped by id.
    /// </summary>
    public async Task<Subscription> SubscribeAsync(CancellationToken ct)
    {
        await EnsureStartedAsync(ct);
        var channel = Channel.CreateBounded<EventFrame>(new BoundedChannelOptions(Backlog) { SingleReader = true, SingleWriter = true });
        lock (_gate)
        {
            _subscribers.Add(channel);
            _listened.TrySetResult();
            return new Subscription(this, channel, _last);
        }
    }

    /// <summary>A page of the event log after <paramref name="since"/>, for a stream catching up.</summary>
    public Task<IReadOnlyList<EventView>> ReadAsync(long since, CancellationToken ct) => _read(since, Page, ct);

    public const int PageSize = Page;

    private async Task EnsureStartedAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _loop) is not null)
            return;
        await _starting.WaitAsync(ct);
        try
        {
            if (_loop is null)
            {
                _last = await _lastId(ct);
                Volatile.Write(ref _loop, Task.Run(() => RunAsync(_stop.Token), CancellationToken.None));
            }
        }
        finally
        {
            _starting.Release();
        }
    }

    private async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                Task listened;
                lock (_gate)
                    listened = _listened.Task;
                await listened.WaitAsync(ct);
                Interlocked.Increment(ref _reads);
                var batch = await _read(_last, Page, ct);
                if (batch.Count == 0)
                    await _waitForChange(TimeSpan.FromSeconds(15), ct);
                else
                    Broadcast([.. batch.Select(EventFrame.Of)]);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not ObjectDisposedException)
            {
                Log.StreamReaderError(_logger, e);
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (ObjectDisposedException)
            {
                return; // the store closed: the server is stopping
            }
        }
    }

    private void Broadcast(IReadOnlyList<EventFrame> frames)
    {
        lock (_gate)
        {
            for (var i = _subscribers.Count - 1; i >= 0; i--)
            {
                var channel = _subscribers[i];
                foreach (var frame in frames)
                {
                    if (channel.Writer.TryWrite(frame))
                        continue;
                    // Too slow: dropping it keeps every other stream current; its client reconnects and catches up.
                    Log.StreamSubscriberDropped(_logger, channel.Reader.Count);
                    channel.Writer.TryComplete(new ChannelClosedException("the stream fell too far behind"));
                    RemoveAt(i);
                    break;
                }
            }

            _last = frames[^1].Id;
        }
    }

    private void Leave(Channel<EventFrame> channel)
    {
        lock (_gate)
        {
            var i = _subscribers.IndexOf(channel);
            if (i >= 0)
                RemoveAt(i);
        }
    }

    private void RemoveAt(int i)
    {
        _subscribers.RemoveAt(i);
        if (_subscribers.Count == 0)
            _listened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void Dispose()
    {
        _stop.Cancel();
        lock (_gate)
        {
            foreach (var channel in _subscribers)
                channel.Writer.TryComplete();
            _subscribers.Clear();
        }

        _stop.Dispose();
        _starting.Dispose();
    }

    /// <summary>One stream's place in the broadcast; disposing it leaves.</summary>
    public sealed class Subscription(EventHub hub, Channel<EventFrame> channel, long joinedAt) : IDisposable
    {
        /// <summary>The newest event broadcast before this subscription joined.</summary>
        public long JoinedAt => joinedAt;

        public ChannelReader<EventFrame> Frames => channel.Reader;

        public void Dispose() => hub.Leave(channel);
    }
}
