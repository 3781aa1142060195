using System.Text.Json;
using Drover.Core.Jobs;
using Drover.Core.Storage;

using Npgsql;

namespace Drover.Storage.Postgres;

public sealed partial class PostgresJobStore
{
    private const string EventInsertSql =
        "INSERT INTO events (at, type, job_id, worker, data) VALUES (@at, @type, @job, @worker, @data) RETURNING id";

    private const string EventListSql =
        "SELECT id, at, type, job_id, worker, data FROM events WHERE id > @after ORDER BY id LIMIT @limit";

    private const string EventListByJobSql =
        "SELECT id, at, type, job_id, worker, data FROM events WHERE job_id = @job AND id > @after ORDER BY id LIMIT @limit";

    /// <summary>The channel every write transaction notifies (delivered at its commit, to every listening process).</summary>
    internal const string ChangeChannel = "drover_changes";

    private readonly Lock _listenGate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _listenStop;
    private Task _listenTask = Task.CompletedTask;

    public Task<long> EventAppendAsync(EventAppendParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return WriteAsync(s => AppendEvent(s, p.Type, p.JobId, p.Worker, p.DataJson, p.Now), ct);
    }

    public Task<IReadOnlyList<EventRecord>> EventListAsync(EventListParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        return Task.FromResult(Read<IReadOnlyList<EventRecord>>(
            s =>
            {
                var cmd = s.Cmd(p.JobId is null ? EventListSql : EventListByJobSql)
                    .P("@after", p.AfterId)
                    .P("@limit", Math.Max(0, p.Limit));
                if (p.JobId is { } job)
                    cmd.P("@job", job);
                var events = new List<EventRecord>();
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    events.Add(new EventRecord(
                        r.GetInt64(0),
                        StoreRows.Time(r.GetInt64(1)),
                        r.GetString(2),
                        r.NullableInt64(3),
                        r.NullableString(4),
                        r.GetString(5)));
                }

                return events;
            },
            ct));
    }

    /// <summary>Appends an event inside the caller's transaction (every transition does, STYLE: same txn).</summary>
    private static long AppendEvent(PgSession s, string type, long? jobId, string? worker, string dataJson, DateTimeOffset now) =>
        (long)s.Cmd(EventInsertSql)
            .P("@at", StoreRows.Ms(now))
            .P("@type", type)
            .P("@job", jobId)
            .P("@worker", worker)
            .P("@data", dataJson)
            .ExecuteScalar()!;

    private static long AppendEvent<TData>(PgSession s, string type, long? jobId, string? worker, TData data, DateTimeOffset now) =>
        AppendEvent(s, type, jobId, worker, JsonSerializer.Serialize(data), now);

    /// <summary>
    /// Wakes on a NOTIFY from any process's commit (LISTEN on one dedicated connection, reconnected when it drops;
    /// a lost notification only costs the caller's <paramref name="maxWait"/>), or on a write through this instance.
    /// </summary>
    public async Task WaitForChangeAsync(TimeSpan maxWait, CancellationToken ct)
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
