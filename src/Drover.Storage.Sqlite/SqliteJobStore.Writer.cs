using System.Threading.Channels;
using Drover.Storage.Sql;
using Microsoft.Data.Sqlite;

namespace Drover.Storage.Sqlite;

/// <summary>
/// The single writer of this process, with group commit: writes queue up while a transaction is
/// being written, and the next transaction runs all of them, each inside its own SAVEPOINT so one
/// operation's failure rolls back only that operation. Callers hear back only after COMMIT.
/// One BEGIN IMMEDIATE per batch instead of per call is what buys the throughput (fewer WAL
/// frames and checkpoints per job); every operation still sees the database inside the write lock.
/// </summary>
public sealed partial class SqliteJobStore
{
    private const string BeginSql = "BEGIN IMMEDIATE";
    private const string CommitSql = "COMMIT";
    private const string RollbackSql = "ROLLBACK";
    private const string SavepointSql = "SAVEPOINT op";
    private const string ReleaseSql = "RELEASE op";
    private const string RollbackToSql = "ROLLBACK TO op";
    private const int MaxBatch = 64;

    private readonly Channel<WriteOp> _writes = Channel.CreateUnbounded<WriteOp>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _writerStart = new();
    private Task? _writerLoop;
    private SqliteSession? _writer;

    /// <summary>
    /// Runs <paramref name="body"/> inside a BEGIN IMMEDIATE transaction on the writer; throws to roll back. SQLite has
    /// one writer at a time, so <paramref name="concurrent"/> changes nothing.
    /// </summary>
    protected override Task<T> WriteAsync<T>(Func<SqlSession, T> body, bool concurrent, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ct.ThrowIfCancellationRequested();
        var op = new WriteOp<T>(body, ct);
        EnsureWriterLoop();
        ObjectDisposedException.ThrowIf(!_writes.Writer.TryWrite(op), this);
        return op.Task;
    }

    private void EnsureWriterLoop()
    {
        if (_writerLoop is not null)
            return;
        lock (_writerStart)
            _writerLoop ??= Task.Run(WriterLoopAsync, CancellationToken.None);
    }

    private async Task WriterLoopAsync()
    {
        var batch = new List<WriteOp>(MaxBatch);
        while (await _writes.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _writes.Reader.TryRead(out var op))
            {
                if (op.TryStart())
                    batch.Add(op);
            }

            if (batch.Count > 0)
                RunBatch(batch);
        }
    }

    private void RunBatch(List<WriteOp> batch)
    {
        var changed = false;
        try
        {
            var session = _writer ??= OpenSession(wal: true);
            session.Exec(BeginSql);
            var changesBefore = session.Connection.TotalChanges();
            try
            {
                if (batch.Count == 1)
                {
                    batch[0].Run(session);
                }
                else
                {
                    foreach (var op in batch)
                        RunInSavepoint(session, op);
                }

                // checkpoint: after this commit the transitions and their events survive a process crash.
                session.Exec(CommitSql);
            }
            catch
            {
                TryRollback(session);
                throw;
            }

            // A fenced write commits an empty transaction: nothing written, nobody woken.
            changed = session.Connection.TotalChanges() != changesBefore;
        }
        catch (Exception ex)
        {
            var error = ex is SqliteException sql ? Wrap(sql) : ex;
            foreach (var op in batch)
                op.Fail(error);
            return;
        }

        foreach (var op in batch)
            op.Publish();
        if (changed)
            SignalChange();
    }

    private static void RunInSavepoint(SqliteSession session, WriteOp op)
    {
        session.Exec(SavepointSql);
        try
        {
            op.Run(session);
            session.Exec(ReleaseSql);
        }
        catch (Exception ex)
        {
            // Only this operation is undone; the others in the batch still commit.
            session.Exec(RollbackToSql);
            session.Exec(ReleaseSql);
            op.Fail(ex is SqliteException sql ? Wrap(sql) : ex);
        }
    }

    private async Task StopWriterAsync()
    {
        _writes.Writer.TryComplete();
        Task? loop;
        lock (_writerStart)
            loop = _writerLoop;
        if (loop is not null)
            await loop;
        _writer?.Dispose();
        _writer = null;
    }

    private static void TryRollback(SqliteSession session)
    {
        try
        {
            if (!session.Connection.AutoCommit())
                session.Exec(RollbackSql);
        }
        catch (SqliteException)
        {
            // The transaction is already gone (SQLite rolls back itself on some errors).
        }
    }

    private abstract class WriteOp
    {
        private const int Pending = 0, Started = 1, Cancelled = 2;
        private int _state;

        /// <summary>False when the caller cancelled before the writer reached it: it is skipped.</summary>
        public bool TryStart() => Interlocked.CompareExchange(ref _state, Started, Pending) == Pending;

        protected bool TryCancel() => Interlocked.CompareExchange(ref _state, Cancelled, Pending) == Pending;

        public abstract void Run(SqliteSession session);

        /// <summary>Hands the result to the caller once the transaction committed.</summary>
        public abstract void Publish();

        public abstract void Fail(Exception error);
    }

    private sealed class WriteOp<T> : WriteOp
    {
        private readonly Func<SqlSession, T> _body;
        private readonly TaskCompletionSource<T> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenRegistration _cancel;
        private T? _result;
        private Exception? _error;

        public WriteOp(Func<SqlSession, T> body, CancellationToken ct)
        {
            _body = body;
            if (ct.CanBeCanceled)
            {
                // Only an operation not yet started is cancelled; once running, its outcome is reported.
                _cancel = ct.Register(() =>
                {
                    if (TryCancel())
                        _tcs.TrySetCanceled(ct);
                });
            }
        }

        public Task<T> Task => _tcs.Task;

        public override void Run(SqliteSession session) => _result = _body(session);

        public override void Publish()
        {
            _cancel.Dispose();
            if (_error is not null)
                _tcs.TrySetException(_error);
            else
                _tcs.TrySetResult(_result!);
        }

        public override void Fail(Exception error)
        {
            _cancel.Dispose();
            _error = error;
            _tcs.TrySetException(error);
        }
    }
}
