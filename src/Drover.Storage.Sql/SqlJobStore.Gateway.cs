using Drover.Core.Gateway;
using Drover.Core.Storage;

namespace Drover.Storage.Sql;

public abstract partial class SqlJobStore
{
    private const long MinuteMs = 60_000;
    private const long DayMs = 86_400_000;

    private const string StateSelectSql =
        "SELECT state, consecutive_failures, window_start, window_calls, window_failures, open_until, cooldown_ms, probe_until, " +
        "quota_until, last_error, changed_at, health, health_detail, health_at FROM provider_state WHERE provider = @p";

    private const string StateUpsertSql =
        "INSERT INTO provider_state (provider, state, consecutive_failures, window_start, window_calls, window_failures, open_until, " +
        "cooldown_ms, probe_until, quota_until, last_error, changed_at) VALUES (@p, @state, @cf, @ws, @wc, @wf, @ou, @cd, @pu, @qu, @err, @at) " +
        "ON CONFLICT (provider) DO UPDATE SET state = excluded.state, consecutive_failures = excluded.consecutive_failures, " +
        "window_start = excluded.window_start, window_calls = excluded.window_calls, window_failures = excluded.window_failures, " +
        "open_until = excluded.open_until, cooldown_ms = excluded.cooldown_ms, probe_until = excluded.probe_until, " +
        "quota_until = excluded.quota_until, last_error = excluded.last_error, changed_at = excluded.changed_at";

    private const string CallsCountSql =
        "SELECT COUNT(*) FILTER (WHERE at >= @m), CAST(COALESCE(SUM(CASE WHEN at >= @m THEN tokens ELSE 0 END), 0) AS BIGINT), COUNT(*), " +
        "COUNT(*) FILTER (WHERE open = 1 AND expires > @now), MIN(CASE WHEN at >= @m THEN at END), MIN(at), MIN(CASE WHEN open = 1 AND expires > @now THEN expires END) " +
        "FROM provider_calls WHERE provider = @p AND at >= @d";

    private const string CallsPruneSql = "DELETE FROM provider_calls WHERE provider = @p AND at < @d";
    private const string CallInsertSql = "INSERT INTO provider_calls (provider, at, tokens, open, expires) VALUES (@p, @at, @t, 1, @exp) RETURNING id";
    private const string CallCloseSql = "UPDATE provider_calls SET open = 0, tokens = @t WHERE id = @id";

    private const string HealthUpsertSql =
        "INSERT INTO provider_state (provider, state, consecutive_failures, window_start, window_calls, window_failures, cooldown_ms, changed_at, " +
        "health, health_detail, health_at) VALUES (@p, 'closed', 0, 0, 0, 0, 0, @at, @h, @detail, @at) " +
        "ON CONFLICT (provider) DO UPDATE SET health = excluded.health, health_detail = excluded.health_detail, health_at = excluded.health_at";

    private const string SpendStatsSql =
        "SELECT latency_ms, CASE WHEN outcome NOT IN ('ok', 'client_error', 'client_closed') THEN 1 ELSE 0 END FROM spend WHERE provider = @p AND at >= @since";

    private const string HoldsPruneSql = "DELETE FROM budget_holds WHERE expires < @now";
    private const string LedgerSelectSql = "SELECT usd_nano, tokens, alerted_usd, alerted_tokens FROM budget_ledger WHERE scope = @s";
    private const string HeldSelectSql = "SELECT CAST(COALESCE(SUM(usd_nano), 0) AS BIGINT), CAST(COALESCE(SUM(tokens), 0) AS BIGINT) FROM budget_holds WHERE scope = @s AND expires >= @now";
    private const string HoldNextSql = "SELECT COALESCE(MAX(hold), 0) + 1 FROM budget_holds";
    private const string HoldInsertSql = "INSERT INTO budget_holds (hold, scope, usd_nano, tokens, expires) VALUES (@h, @s, @usd, @t, @exp)";
    private const string HoldDeleteSql = "DELETE FROM budget_holds WHERE hold = @h";

    private const string LedgerBookSql =
        "INSERT INTO budget_ledger (scope, usd_nano, tokens, alerted_usd, alerted_tokens) VALUES (@s, @usd, @t, 0, 0) " +
        "ON CONFLICT (scope) DO UPDATE SET usd_nano = budget_ledger.usd_nano + excluded.usd_nano, tokens = budget_ledger.tokens + excluded.tokens";

    private const string LedgerAlertedSql = "UPDATE budget_ledger SET alerted_usd = @au, alerted_tokens = @at WHERE scope = @s";

    public async Task<ProviderAdmission> ProviderAdmitAsync(ProviderAdmitParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        var now = StoreRows.Ms(p.Now);

        // The common case is a read: a closed circuit and no limits to count.
        var seen = Read(s => ReadState(s, p.Provider), ct);
        var (admit, probe, _, why) = Breaker.Admit(seen, now, (long)p.ProbeTtl.TotalMilliseconds);
        if (!admit)
            return Refused(why, seen);
        if (!probe && !p.Limits.Any)
            return ProviderAdmission.Free;

        return await WriteAsync(
            s =>
            {
                var state = ReadState(s, p.Provider);
                var (ok, isProbe, next, reason) = Breaker.Admit(state, now, (long)p.ProbeTtl.TotalMilliseconds);
                if (!ok)
                    return Refused(reason, state);

                long? callId = null;
                if (p.Limits.Any)
                {
                    if (LimitReached(s, p, now) is { } limited)
                        return limited;
                    callId = (long)s.Cmd(CallInsertSql).P("@p", p.Provider).P("@at", now).P("@t", p.EstimatedTokens)
                        .P("@exp", now + (long)p.CallTtl.TotalMilliseconds).ExecuteScalar()!;
                }

                if (isProbe)
                    WriteState(s, p.Provider, next);
                return new ProviderAdmission(true, callId, isProbe, null, null);
            },
            ct);
    }

    private static ProviderAdmission Refused(string? why, BreakerState s) =>
        new(false, null, false, why, StoreRows.Time(s.QuotaUntilMs is { } q && q > (s.OpenUntilMs ?? 0) ? q : s.OpenUntilMs ?? s.ProbeUntilMs ?? s.ChangedMs));

    private static ProviderAdmission? LimitReached(SqlSession s, ProviderAdmitParams p, long now)
    {
        s.Cmd(CallsPruneSql).P("@p", p.Provider).P("@d", now - DayMs).ExecuteNonQuery();
        using var r = s.Cmd(CallsCountSql).P("@p", p.Provider).P("@m", now - MinuteMs).P("@d", now - DayMs).P("@now", now).ExecuteReader();
        r.Read();
        long minute = r.GetInt64(0), tokens = r.GetInt64(1), day = r.GetInt64(2), open = r.GetInt64(3);
        var firstInMinute = r.NullableInt64(4);
        var firstInDay = r.NullableInt64(5);
        var firstExpiry = r.NullableInt64(6);
        var l = p.Limits;
        if (l.MaxConcurrent > 0 && open >= l.MaxConcurrent)
            return Limited($"max_concurrent {l.MaxConcurrent} reached", firstExpiry ?? now + 1000);
        if (l.Rpm > 0 && minute >= l.Rpm)
            return Limited($"rpm {l.Rpm} reached", (firstInMinute ?? now) + MinuteMs);
        if (l.Tpm > 0 && tokens > 0 && tokens + p.EstimatedTokens > l.Tpm)
            return Limited($"tpm {l.Tpm} reached ({tokens} used in the last minute, this call ~{p.EstimatedTokens})", (firstInMinute ?? now) + MinuteMs);
        if (l.Rpd > 0 && day >= l.Rpd)
            return Limited($"rpd {l.Rpd} reached", (firstInDay ?? now) + DayMs);
        return null;

        static ProviderAdmission Limited(string why, long retryAt) => new(false, null, false, why, StoreRows.Time(retryAt));
    }

    public Task<string?> ProviderReportAsync(ProviderReportParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        var now = StoreRows.Ms(p.Now);
        return WriteAsync(
            s =>
            {
                if (p.CallId is { } id)
                    s.Cmd(CallCloseSql).P("@id", id).P("@t", p.Tokens).ExecuteNonQuery();
                var state = ReadState(s, p.Provider);
                var (next, transition) = Breaker.Report(state, p.Verdict, p.Probe, now, p.Error, p.QuotaUntil is { } q ? StoreRows.Ms(q) : null);
                if (next != state)
                    WriteState(s, p.Provider, next);
                return transition;
            },
            ct);
    }

    public Task ProviderHealthAsync(string provider, bool healthy, string? detail, DateTimeOffset now, CancellationToken ct) =>
        WriteAsync(
            s => s.Cmd(HealthUpsertSql).P("@p", provider).P("@at", StoreRows.Ms(now)).P("@h", healthy ? "up" : "down").P("@detail", detail).ExecuteNonQuery(),
            ct);

    public Task<IReadOnlyList<ProviderStatusRecord>> ProviderStatusAsync(IReadOnlyList<string> providers, DateTimeOffset now, TimeSpan window, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(providers);
        var nowMs = StoreRows.Ms(now);
        return Task.FromResult(Read<IReadOnlyList<ProviderStatusRecord>>(
            s =>
            {
                var result = new List<ProviderStatusRecord>();
                foreach (var name in providers)
                {
                    var state = ReadState(s, name, out var health, out var healthAt);
                    long minute, tokens, day, open;
                    using (var r = s.Cmd(CallsCountSql).P("@p", name).P("@m", nowMs - MinuteMs).P("@d", nowMs - DayMs).P("@now", nowMs).ExecuteReader())
                    {
                        r.Read();
                        (minute, tokens, day, open) = (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3));
                    }

                    var latencies = new List<double>();
                    long calls = 0, failures = 0;
                    using (var r = s.Cmd(SpendStatsSql).P("@p", name).P("@since", nowMs - (long)window.TotalMilliseconds).ExecuteReader())
                    {
                        while (r.Read())
                        {
                            calls++;
                            if (r.GetInt64(1) != 0)
                                failures++;
                            else
                                latencies.Add(r.GetDouble(0));
                        }
                    }

                    latencies.Sort();
                    result.Add(new ProviderStatusRecord(name, state, minute, day, tokens, open, calls, failures,
                        Percentile(latencies, 0.50), Percentile(latencies, 0.99), health, healthAt));
                }

                return result;
            },
            ct));
    }

    private static double? Percentile(List<double> sorted, double q) =>
        sorted.Count == 0 ? null : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static BreakerState ReadState(SqlSession s, string provider) => ReadState(s, provider, out _, out _);

    private static BreakerState ReadState(SqlSession s, string provider, out string? health, out DateTimeOffset? healthAt)
    {
        using var r = s.Cmd(StateSelectSql).P("@p", provider).ExecuteReader();
        health = null;
        healthAt = null;
        if (!r.Read())
            return BreakerState.New;
        health = r.NullableString(11) is { } h ? h + (r.NullableString(12) is { } d ? $": {d}" : "") : null;
        healthAt = r.NullableInt64(13) is { } at ? StoreRows.Time(at) : null;
        return new BreakerState(r.GetString(0), r.GetInt32(1), r.GetInt64(2), r.GetInt32(3), r.GetInt32(4), r.NullableInt64(5), r.GetInt64(6),
            r.NullableInt64(7), r.NullableInt64(8), r.NullableString(9), r.GetInt64(10));
    }

    private static void WriteState(SqlSession s, string provider, BreakerState b) =>
        s.Cmd(StateUpsertSql).P("@p", provider).P("@state", b.State).P("@cf", b.ConsecutiveFailures).P("@ws", b.WindowStartMs)
            .P("@wc", b.WindowCalls).P("@wf", b.WindowFailures).P("@ou", b.OpenUntilMs).P("@cd", b.CooldownMs).P("@pu", b.ProbeUntilMs)
            .P("@qu", b.QuotaUntilMs).P("@err", b.LastError).P("@at", b.ChangedMs).ExecuteNonQuery();

    public Task<BudgetReservation> BudgetReserveAsync(BudgetReserveParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        var now = StoreRows.Ms(p.Now);
        var usd = StoreRows.Nano(p.Usd);
        return WriteAsync(
            s =>
            {
                s.Cmd(HoldsPruneSql).P("@now", now).ExecuteNonQuery();
                var limited = p.Scopes.Where(x => (x.LimitUsd is not null && usd > 0) || (x.LimitTokens is not null && p.Tokens > 0)).ToList();
                foreach (var scope in limited)
                {
                    var (spentUsd, spentTokens, _, _) = Ledger(s, scope.Key);
                    long heldUsd, heldTokens;
                    using (var r = s.Cmd(HeldSelectSql).P("@s", scope.Key).P("@now", now).ExecuteReader())
                    {
                        r.Read();
                        (heldUsd, heldTokens) = (r.GetInt64(0), r.GetInt64(1));
                    }

                    if (usd > 0 && scope.LimitUsd is { } limitUsd && spentUsd + heldUsd + usd > StoreRows.Nano(limitUsd))
                    {
                        return new BudgetReservation(false, null, scope.Key,
                            $"budget {scope.Key} of ${limitUsd:0.######}: spent ${StoreRows.Usd(spentUsd):0.######}, held by calls in flight " +
                            $"${StoreRows.Usd(heldUsd):0.######}; this call may cost up to ${p.Usd:0.######}");
                    }

                    if (p.Tokens > 0 && scope.LimitTokens is { } limitTokens && spentTokens + heldTokens + p.Tokens > limitTokens)
                    {
                        return new BudgetReservation(false, null, scope.Key,
                            $"budget {scope.Key} of {limitTokens} tokens: spent {spentTokens}, held by calls in flight {heldTokens}; this call may use up to {p.Tokens}");
                    }
                }

                var hold = (long)s.Cmd(HoldNextSql).ExecuteScalar()!;
                foreach (var scope in limited)
                {
                    s.Cmd(HoldInsertSql).P("@h", hold).P("@s", scope.Key).P("@usd", usd).P("@t", p.Tokens)
                        .P("@exp", now + (long)p.Ttl.TotalMilliseconds).ExecuteNonQuery();
                }

                return new BudgetReservation(true, hold, null, null);
            },
            ct);
    }

    public Task<IReadOnlyList<BudgetAlert>> BudgetSettleAsync(BudgetSettleParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        var usd = StoreRows.Nano(p.Usd);
        return WriteAsync<IReadOnlyList<BudgetAlert>>(
            s =>
            {
                s.Cmd(HoldDeleteSql).P("@h", p.HoldId).ExecuteNonQuery();
                var alerts = new List<BudgetAlert>();
                foreach (var scope in p.Scopes)
                {
                    s.Cmd(LedgerBookSql).P("@s", scope.Key).P("@usd", usd).P("@t", p.Tokens).ExecuteNonQuery();
                    if (scope.LimitUsd is null && scope.LimitTokens is null)
                        continue;
                    var (spentUsd, spentTokens, alertedUsd, alertedTokens) = Ledger(s, scope.Key);
                    var newUsd = alertedUsd;
                    var newTokens = alertedTokens;
                    if (scope.LimitUsd is { } lu && lu > 0 && Crossed(StoreRows.Usd(spentUsd) / lu, alertedUsd) is { } pu)
                    {
                        newUsd = pu;
                        alerts.Add(new BudgetAlert(scope.Key, pu, "usd", StoreRows.Usd(spentUsd), lu));
                    }

                    if (scope.LimitTokens is { } lt && lt > 0 && Crossed((decimal)spentTokens / lt, alertedTokens) is { } pt)
                    {
                        newTokens = pt;
                        alerts.Add(new BudgetAlert(scope.Key, pt, "tokens", spentTokens, lt));
                    }

                    if (newUsd != alertedUsd || newTokens != alertedTokens)
                        s.Cmd(LedgerAlertedSql).P("@s", scope.Key).P("@au", newUsd).P("@at", newTokens).ExecuteNonQuery();
                }

                return alerts;
            },
            ct);

        static int? Crossed(decimal share, int alerted)
        {
            var level = share >= 1m ? 100 : share >= 0.8m ? 80 : 0;
            return level > alerted ? level : null;
        }
    }

    public Task<IReadOnlyList<BudgetLine>> BudgetLinesAsync(IReadOnlyList<string> scopes, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        var nowMs = StoreRows.Ms(now);
        return Task.FromResult(Read<IReadOnlyList<BudgetLine>>(
            s =>
            {
                var lines = new List<BudgetLine>();
                foreach (var scope in scopes)
                {
                    var (spentUsd, spentTokens, _, _) = Ledger(s, scope);
                    using var r = s.Cmd(HeldSelectSql).P("@s", scope).P("@now", nowMs).ExecuteReader();
                    r.Read();
                    lines.Add(new BudgetLine(scope, StoreRows.Usd(spentUsd), spentTokens, StoreRows.Usd(r.GetInt64(0)), r.GetInt64(1)));
                }

                return lines;
            },
            ct));
    }

    private static (long Usd, long Tokens, int AlertedUsd, int AlertedTokens) Ledger(SqlSession s, string scope)
    {
        using DbDataReader r = s.Cmd(LedgerSelectSql).P("@s", scope).ExecuteReader();
        return r.Read() ? (r.GetInt64(0), r.GetInt64(1), r.GetInt32(2), r.GetInt32(3)) : (0, 0, 0, 0);
    }
}
