using Drover.Core.Storage;

namespace Drover.Storage.Sql;

/// <summary>Attempt logs in the store, in chunks by byte position: a host can serve the log of an attempt another host ran.</summary>
public abstract partial class SqlJobStore
{
    private const string LogStoredSql = "SELECT CAST(COALESCE(SUM(length(data)), 0) AS BIGINT) FROM log_chunks WHERE job_id = @job AND attempt = @n";

    private const string LogInsertSql =
        "INSERT INTO log_chunks (job_id, attempt, pos, data) VALUES (@job, @n, @pos, @data) ON CONFLICT (job_id, attempt, pos) DO NOTHING";

    // Chunks that reach past the offset, in order; a reader stitches them (chunks never overlap: each starts where the
    // shipper's previous one ended).
    private const string LogReadSql =
        "SELECT pos, data FROM log_chunks WHERE job_id = @job AND attempt = @n AND pos + length(data) > @pos ORDER BY pos LIMIT 64";

    public Task<bool> LogAppendAsync(LogAppendParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(p.Data);
        return WriteAsync(
            s =>
            {
                // Nobody waits for log chunks: they wake no idle worker.
                s.Quiet = true;
                var stored = s.Cmd(LogStoredSql).P("@job", p.JobId).P("@n", p.Attempt).Scalar64();
                var room = p.MaxBytes - stored;
                if (room <= 0 || p.Data.Length == 0)
                    return room > 0;
                var data = p.Data.Length <= room ? p.Data : p.Data[..(int)room];
                s.Cmd(LogInsertSql).P("@job", p.JobId).P("@n", p.Attempt).P("@pos", p.Offset).P("@data", data).ExecuteNonQuery();
                return data.Length == p.Data.Length;
            },
            concurrent: true,
            ct);
    }

    public Task<LogChunkRecord> LogReadAsync(long jobId, int attempt, long offset, int maxBytes, CancellationToken ct) =>
        Task.FromResult(Read(
            s =>
            {
                var stored = s.Cmd(LogStoredSql).P("@job", jobId).P("@n", attempt).Scalar64();
                using var buffer = new MemoryStream();
                var next = offset;
                using (var r = s.Cmd(LogReadSql).P("@job", jobId).P("@n", attempt).P("@pos", offset).ExecuteReader())
                {
                    while (r.Read() && buffer.Length < maxBytes)
                    {
                        var pos = r.GetInt64(0);
                        if (pos > next)
                            break; // a gap (a chunk not stored yet): stop where the text is continuous
                        var data = (byte[])r.GetValue(1);
                        var skip = (int)(next - pos);
                        var take = (int)Math.Min(data.Length - skip, maxBytes - buffer.Length);
                        buffer.Write(data, skip, take);
                        next += take;
                    }
                }

                return new LogChunkRecord(buffer.ToArray(), stored);
            },
            ct));
}
