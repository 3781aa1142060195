namespace Drover.Storage.Sqlite;

public sealed partial class SqliteJobStore
{
    private const string DataVersionSql = "PRAGMA data_version";

    private const long PollLingerMs = 1000;

    /// <summary>
    /// data_version is read every <see cref="PollFastMs"/> right after activity, the interval doubling with each quiet
    /// read up to <see cref="PollIdleMs"/>: an idle waiter costs a few reads a second, not hundreds. The WAL watcher
    /// wakes waiters at once on another process's commit; the poll is its backstop, so without inotify a commit by
    /// another process after a long quiet spell is seen within <see cref="PollIdleMs"/>.
    /// </summary>
    internal const int PollFastMs = 2;

    internal const int PollIdleMs = 1000;

    private int _pollDelayMs = PollFastMs;

    // Completed (and replaced) to cut the poller's sleep short when the WAL is written.
    private TaskCompletionSource _pollKick = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly Lock _pollGate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _pollStop;
    private Task _pollTask = Task.CompletedTask;
    private int _waiters;
    private bool _polling;
    private long _lastWaiterAt;
    private SqliteSession? _pollSession;
    private long _lastDataVersion = -1;
    private readonly Lock _pollOnceGate = new();
    private long _lastPollTicks;
    private FileSystemWatcher? _walWatcher;

    public override async Task WaitForChangeAsync(TimeSpan maxWait, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (maxWait <= TimeSpan.Zero)
            return;
        // Take the signal before starting the poller: a change the poller sees on start wakes this wait.
        var changed = Volatile.Read(ref _changed).Task;
        StartWaiting();
        try
        {
            await changed.WaitAsync(maxWait, ct);
        }
        catch (TimeoutException)
        {
            // maxWait elapsed with no change: a normal wake-up.
        }
        finally
        {
            lock (_pollGate)
                _waiters--;
        }
    }

    /// <summary>Wakes every current waiter (a write through this instance, or another process's commit).</summary>
    private void SignalChange()
    {
        Volatile.Write(ref _pollDelayMs, PollFastMs);
        var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _changed, next).TrySetResult();
    }

    /// <summary>Another process's commit is only visible through PRAGMA data_version, so poll it while anyone waits.</summary>
    private void StartWaiting()
    {
        lock (_pollGate)
        {
            _waiters++;
            _lastWaiterAt = Environment.TickCount64;
            if (_polling || _disposed != 0)
                return;
            _polling = true;
            // Baseline now, not on the poller's first tick: a commit racing this call must not be missed.
            PollOnce();
            StartWalWatcher();
            _pollStop ??= new CancellationTokenSource();
            var stop = _pollStop.Token;
            _pollTask = Task.Run(() => PollDataVersionAsync(stop), CancellationToken.None);
        }
    }

    private async Task PollDataVersionAsync(CancellationToken stop)
    {
        while (true)
        {
            lock (_pollGate)
            {
                // Linger briefly after the last waiter: an idle worker waits again at once.
                if (_waiters > 0)
                    _lastWaiterAt = Environment.TickCount64;
                if (stop.IsCancellationRequested || Environment.TickCount64 - _lastWaiterAt > PollLingerMs)
                {
                    _polling = false;
                    return;
                }
            }

            // Taken before the read: a WAL write after it cuts this sleep short.
            var kick = Volatile.Read(ref _pollKick).Task;
            PollOnce();
            var delay = Volatile.Read(ref _pollDelayMs);
            // Quiet: back off (a change seen, or a write through this instance, resets it to fast).
            Interlocked.CompareExchange(ref _pollDelayMs, Math.Min(PollIdleMs, delay * 2), delay);
            // Disposing cancels the delay: the loop head clears _polling and exits.
            await Task.WhenAny(Task.Delay(delay, stop), kick);
        }
    }

    /// <summary>
    /// Every commit by any process writes the WAL file, so an inotify event on it is a sub-millisecond hint to
    /// read data_version now rather than at the next poll tick. The poller stays as the backstop (and is all
    /// there is where inotify is unavailable or exhausted).
    /// </summary>
    private void StartWalWatcher()
    {
        if (_walWatcher is not null || _options.Path.StartsWith(':') || _options.Path.Contains("mode=memory", StringComparison.Ordinal))
            return;
        FileSystemWatcher? watcher = null;
        try
        {
            var full = Path.GetFullPath(_options.Path);
            var dir = Path.GetDirectoryName(full);
            if (dir is null || !Directory.Exists(dir))
                return;
            watcher = new FileSystemWatcher(dir, Path.GetFileName(full) + "-wal")
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName,
            };
            watcher.Changed += (_, _) => OnWalWritten();
            watcher.Created += (_, _) => OnWalWritten();
            watcher.EnableRaisingEvents = true;
            _walWatcher = watcher;
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            // No inotify (limit reached, odd file system): the poller alone still wakes waiters.
            watcher?.Dispose();
        }
    }

    private void OnWalWritten()
    {
        // Only while someone waits, and at most once per half millisecond under a stream of commits.
        if (_disposed != 0 || Volatile.Read(ref _waiters) == 0)
            return;
        // The event can come before the writer's commit is visible (WAL frames first, then the wal-index): poll
        // fast again for a while rather than wait out an idle interval.
        Volatile.Write(ref _pollDelayMs, PollFastMs);
        Interlocked.Exchange(ref _pollKick, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (now - Interlocked.Read(ref _lastPollTicks) < System.Diagnostics.Stopwatch.Frequency / 2000)
            return;
        PollOnce();
    }

    private void PollOnce()
    {
        lock (_pollOnceGate)
            PollOnceLocked();
    }

    private void PollOnceLocked()
    {
        Interlocked.Exchange(ref _lastPollTicks, System.Diagnostics.Stopwatch.GetTimestamp());
        if (_disposed != 0)
            return; // never reopen the poll session of a disposed store
        try
        {
            // A dedicated connection, kept across waits: data_version changes when any other connection commits.
            var session = _pollSession ??= OpenSession(wal: false);
            var version = (long)session.Cmd(DataVersionSql).ExecuteScalar()!;
            var last = Interlocked.Exchange(ref _lastDataVersion, version);
            if (last != -1 && last != version)
                SignalChange();
        }
        catch (Exception)
        {
            // Cannot tell whether anything changed: wake the waiters (spurious wake-ups are allowed).
            _pollSession?.Dispose();
            _pollSession = null;
            Interlocked.Exchange(ref _lastDataVersion, -1);
            SignalChange();
        }
    }

    private async Task StopChangePollerAsync()
    {
        Task task;
        lock (_pollGate)
        {
            _pollStop?.Cancel();
            task = _pollTask;
        }

        try
        {
            await task;
        }
        catch (Exception)
        {
            // The poller only signals; its failure must not break Dispose.
        }

        _pollStop?.Dispose();
        _walWatcher?.Dispose();
        lock (_pollOnceGate)
        {
            _pollSession?.Dispose();
            _pollSession = null;
        }

        SignalChange();
    }
}
