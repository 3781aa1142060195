using Npgsql;

namespace Drover.Storage.Postgres;

public sealed partial class PostgresJobStore
{
    /// <summary>The channel every write transaction notifies (delivered at its commit, to every listening process).</summary>
    internal const string ChangeChannel = "drover_changes";

    private readonly Lock _listenGate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _listenStop;
    private Task _listenTask = Task.CompletedTask;

    /// <summary>
    /// Wakes on a NOTIFY from any process's commit (LISTEN on one dedicated connection, reconnected when it drops;
    /// a lost notification only costs the caller's <paramref name="maxWait"/>), or on a write through this instance.
    /// </summary>
    public override async Task WaitForChangeAsync(TimeSpan maxWait, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (maxWait <= TimeSpan.Zero)
            return;
        var changed = Volatile.Read(ref _changed).Task;
        EnsureListening();
        try
        {
            await changed.WaitAsync(maxWait, ct);
        }
        catch (TimeoutException)
        {
            // maxWait elapsed with no change: a normal wake-up.
        }
    }

    /// <summary>Wakes every current waiter (a write through this instance, or another process's commit).</summary>
    private void SignalChange()
    {
        var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _changed, next).TrySetResult();
    }

    private void EnsureListening()
    {
        lock (_listenGate)
        {
            if (_listenStop is not null || _disposed != 0)
                return;
            _listenStop = new CancellationTokenSource();
            var stop = _listenStop.Token;
            _listenTask = Task.Run(() => ListenAsync(stop), CancellationToken.None);
        }
    }

    private async Task ListenAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var conn = await _data.OpenConnectionAsync(stop);
                conn.Notification += (_, _) => SignalChange();
                await using (var listen = new NpgsqlCommand($"LISTEN {ChangeChannel}", conn))
                    await listen.ExecuteNonQueryAsync(stop);
                SignalChange(); // anything committed while (re)connecting: let waiters look again
                while (!stop.IsCancellationRequested)
                    await conn.WaitAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or ObjectDisposedException or InvalidOperationException)
            {
                // Connection lost (database restart, network): waiters fall back to their timeouts until it is back.
                SignalChange();
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(250), stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task StopListeningAsync()
    {
        Task task;
        lock (_listenGate)
        {
            _listenStop?.Cancel();
            task = _listenTask;
        }

        try
        {
            await task;
        }
        catch (Exception)
        {
            // The listener only signals; its failure must not break Dispose.
        }

        _listenStop?.Dispose();
        SignalChange();
    }
}
