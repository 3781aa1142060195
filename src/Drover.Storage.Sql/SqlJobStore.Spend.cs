using Drover.Core;
using Drover.Core.Storage;

namespace Drover.Storage.Sql;

public abstract partial class SqlJobStore
{
    private const string SpendInsertSql =
        "INSERT INTO spend (at, job_id, attempt, provider, model, upstream_model, outcome, status, input_tokens, cached_input_tokens, " +
        "output_tokens, reasoning_tokens, cost_nusd, latency_ms, first_token_ms, cache_write_tokens) VALUES (@at, @job, @attempt, @provider, @model, " +
        "@upstream, @outcome, @status, @in, @cached, @out, @reasoning, @cost, @latency, @ttft, @cw)";

    public Task SpendAppendAsync(SpendRecord r, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(r);
        return WriteAsync(
            s => s.Cmd(SpendInsertSql)
                .P("@at", StoreRows.Ms(r.At))
                .P("@job", r.JobId)
                .P("@attempt", r.Attempt)
                .P("@provider", r.Provider)
                .P("@model", r.Model)
                .P("@upstream", r.UpstreamModel)
                .P("@outcome", r.Outcome)
                .P("@status", r.Status)
                .P("@in", r.InputTokens)
                .P("@cached", r.CachedInputTokens)
                .P("@out", r.OutputTokens)
                .P("@reasoning", r.ReasoningTokens)
                .P("@cost", r.CostUsd is { } c ? StoreRows.Nano(c) : null)
                .P("@latency", r.LatencyMs)
                .P("@ttft", r.FirstTokenMs)
                .P("@cw", r.CacheWriteTokens)
                .ExecuteNonQuery(),
            ct);
    }

    private const string SpendJobSql =
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE outcome NOT IN ('ok', 'client_error', 'client_closed')), CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT), " +
        "CAST(COALESCE(SUM(cached_input_tokens), 0) AS BIGINT), CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT), CAST(COALESCE(SUM(reasoning_tokens), 0) AS BIGINT), " +
        "CAST(COALESCE(SUM(cost_nusd), 0) AS BIGINT), COUNT(*) FILTER (WHERE cost_nusd IS NULL AND input_tokens + cached_input_tokens + output_tokens > 0), " +
        "CAST(COALESCE(SUM(cache_write_tokens), 0) AS BIGINT) " +
        "FROM spend WHERE job_id = @job";

    public Task<SpendTotal> SpendForJobAsync(long jobId, CancellationToken ct) =>
        Task.FromResult(Read(
            s =>
            {
                using var r = s.Cmd(SpendJobSql).P("@job", jobId).ExecuteReader();
                r.Read();
                return new SpendTotal(jobId.ToString(System.Globalization.CultureInfo.InvariantCulture), r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3),
                    r.GetInt64(4), r.GetInt64(5), StoreRows.Usd(r.GetInt64(6)), r.GetInt64(7))
                { CacheWriteTokens = r.GetInt64(8) };
            },
            ct));

    public Task<IReadOnlyList<SpendTotal>> SpendTotalsAsync(DateTimeOffset since, string by, CancellationToken ct)
    {
        // The group column comes from this fixed list, never from the caller's text. Engine, repo and label come from
        // the job a request was made for; a request counts once under each of its job's labels.
        var (column, join) = by switch
        {
            "provider" => ("COALESCE(s.provider, '(none)')", ""),
            "model" => ("s.model", ""),
            "job" => ("COALESCE(CAST(s.job_id AS TEXT), '(none)')", ""),
            "engine" => ("COALESCE(j.engine, '(none)')", " LEFT JOIN jobs j ON j.id = s.job_id"),
            "repo" => ($"COALESCE({Dialect.SpecRepo}, '(none)')", " LEFT JOIN jobs j ON j.id = s.job_id"),
            "label" => ("COALESCE(l.key || '=' || l.value, '(none)')", $" LEFT JOIN jobs j ON j.id = s.job_id {Dialect.LeftJoinLabelPairs}"),
            _ => throw new JobSpecException("by", $"cannot group spend by \"{by}\" (provider, model, job, engine, repo or label)"),
        };
        var sql =
            $"SELECT {column} AS k, COUNT(*), COUNT(*) FILTER (WHERE s.outcome NOT IN ('ok', 'client_error', 'client_closed')), CAST(SUM(s.input_tokens) AS BIGINT), " +
            "CAST(SUM(s.cached_input_tokens) AS BIGINT), CAST(SUM(s.output_tokens) AS BIGINT), CAST(SUM(s.reasoning_tokens) AS BIGINT), CAST(COALESCE(SUM(s.cost_nusd), 0) AS BIGINT), " +
            "COUNT(*) FILTER (WHERE s.cost_nusd IS NULL AND s.input_tokens + s.cached_input_tokens + s.output_tokens > 0), CAST(SUM(s.cache_write_tokens) AS BIGINT) " +
            $"FROM spend s{join} WHERE s.at >= @since GROUP BY k ORDER BY COALESCE(SUM(s.cost_nusd), 0) DESC, k";
        return Task.FromResult(Read<IReadOnlyList<SpendTotal>>(
            s =>
            {
                var totals = new List<SpendTotal>();
                using var cmd = s.Adhoc(sql).P("@since", StoreRows.Ms(since));
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    totals.Add(new SpendTotal(
                        r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6),
                        StoreRows.Usd(r.GetInt64(7)), r.GetInt64(8))
                    { CacheWriteTokens = r.GetInt64(9) });
                }

                return totals;
            },
            ct));
    }
}
