using System.Globalization;
using System.Text.Json;
using Drover.Core.Configuration;
using Drover.Core.Jobs;
using Drover.Server.Jobs;

namespace Drover.Server.Alerts;

/// <summary>An alert to raise: <see cref="Message"/> is its first line and names the worker, job or provider and the reason.</summary>
public sealed record AlertCandidate(string Kind, string Subject, string Message, IReadOnlyDictionary<string, object?> Data)
{
    /// <summary>The cooldown key: one alert per kind and subject (<c>worker_lost:w1</c>).</summary>
    public string Key => $"{Kind}:{Subject}";
}

/// <summary>
/// Which events need a person (pure: the monitor feeds it the event log in order). Kinds: worker_lost,
/// worker_crash_loop, worker_degraded, job_dead, provider_circuit_open, budget, engine_gated, engine_breaker, approval_pending; queue_stalled is checked on a timer by
/// <see cref="AlertMonitor"/>.
/// </summary>
public sealed class AlertRules(AlertsConfig config)
{
    private readonly Dictionary<string, Queue<DateTimeOffset>> _starts = new(StringComparer.Ordinal);

    /// <summary>When a job was last claimed, as far as the events read so far say.</summary>
    public DateTimeOffset? LastClaimAt { get; private set; }

    /// <summary>The alert this event calls for, if any. <paramref name="hostOf"/> names a worker's host when known.</summary>
    public AlertCandidate? OnEvent(EventRecord e, Func<string, string?> hostOf)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(hostOf);
        using var doc = ParseData(e.DataJson);
        var data = doc.RootElement;
        switch (e.Type)
        {
            case "job.claimed":
                LastClaimAt = LastClaimAt is { } last && last > e.At ? last : e.At;
                return null;
            case "worker.lost" when e.Worker is { } name:
                {
                    var host = hostOf(name);
                    var timeout = Number(data, "timeout_s");
                    var silent = timeout is { } t ? $" — no heartbeat for {t.ToString("0.#", CultureInfo.InvariantCulture)} s" : "";
                    return new AlertCandidate("worker_lost", name, $"worker lost: {name}{On(host)}{silent}; its running jobs were requeued",
                        new Dictionary<string, object?> { ["worker"] = name, ["host"] = host, ["timeout_s"] = timeout });
                }

            case "worker.started" when e.Worker is { } name:
                {
                    var window = _starts.TryGetValue(name, out var q) ? q : _starts[name] = new Queue<DateTimeOffset>();
                    window.Enqueue(e.At);
                    while (window.Count > 0 && e.At - window.Peek() > config.CrashLoopWindow)
                        window.Dequeue();
                    var restarts = window.Count - 1;
                    if (restarts < config.CrashLoopRestarts)
                        return null;
                    var host = Text(data, "host") ?? hostOf(name);
                    return new AlertCandidate("worker_crash_loop", name,
                        $"worker crash loop: {name}{On(host)} — {restarts} restarts in {Minutes(config.CrashLoopWindow)}",
                        new Dictionary<string, object?> { ["worker"] = name, ["host"] = host, ["restarts"] = restarts });
                }

            case "worker.degraded" when e.Worker is { } name:
                {
                    var host = Text(data, "host") ?? hostOf(name);
                    var reason = Text(data, "reason") ?? "unknown";
                    return new AlertCandidate("worker_degraded", name,
                        $"worker degraded: {name}{On(host)} — {FirstLine(reason)}; it claims no jobs until this is fixed",
                        new Dictionary<string, object?> { ["worker"] = name, ["host"] = host, ["reason"] = reason });
                }

            case "job.failed" when e.JobId is { } id:
                {
                    var cls = Text(data, "class") ?? "unknown";
                    if (cls is "dep_failed")
                        return null; // the dependency's own failure is the alert; its dependents follow from it
                    var reason = Text(data, "reason");
                    var attempts = Number(data, "attempt");
                    var after = attempts is { } n ? $" after {n.ToString(CultureInfo.InvariantCulture)} attempt{(n == 1 ? "" : "s")}" : "";
                    return new AlertCandidate("job_dead", id.ToString(CultureInfo.InvariantCulture),
                        $"job {id} failed{after}: {cls}{(reason is null ? "" : " — " + FirstLine(reason))}",
                        new Dictionary<string, object?> { ["job"] = id, ["class"] = cls, ["reason"] = reason });
                }

            case "provider.circuit" when Text(data, "state") == "open" && Text(data, "provider") is { } provider:
                {
                    var reason = Text(data, "reason");
                    return new AlertCandidate("provider_circuit_open", provider,
                        $"provider circuit open: {provider}{(reason is null ? "" : " — " + FirstLine(reason))}; calls fail over to other providers",
                        new Dictionary<string, object?> { ["provider"] = provider, ["reason"] = reason });
                }

            case "budget.alert" when Text(data, "scope") is { } scope:
                {
                    var percent = Number(data, "percent") ?? 0;
                    var unit = Text(data, "unit") ?? "usd";
                    var p = ((int)percent).ToString(CultureInfo.InvariantCulture);
                    return new AlertCandidate("budget", $"{scope}:{p}",
                        $"budget {scope} at {p}%: {Amount(data, "spent", unit)} of {Amount(data, "limit", unit)}",
                        new Dictionary<string, object?> { ["scope"] = scope, ["percent"] = percent, ["job"] = e.JobId });
                }

            case "budget.exceeded" when Text(data, "scope") is { } scope:
                return new AlertCandidate("budget", $"{scope}:100",
                    $"budget {scope} exhausted: {FirstLine(Text(data, "reason") ?? "limit reached")}{(e.JobId is { } j ? $" (job {j} stopped)" : "")}",
                    new Dictionary<string, object?> { ["scope"] = scope, ["percent"] = 100, ["job"] = e.JobId });

            case "engine.gated" when Text(data, "engine") is { } engine:
                {
                    var until = Text(data, "until");
                    var reason = Text(data, "reason");
                    return new AlertCandidate("engine_gated", engine,
                        $"engine {engine} waiting on a usage limit{(until is null ? "" : " until " + until)}{(reason is null ? "" : " — " + FirstLine(reason))}",
                        new Dictionary<string, object?> { ["engine"] = engine, ["until"] = until, ["reason"] = reason });
                }

            case "engine.breaker_opened" when Text(data, "engine") is { } engine:
                {
                    var until = Text(data, "until");
                    var reason = Text(data, "reason");
                    return new AlertCandidate("engine_breaker", engine,
                        $"engine {engine} stopped by the failure-rate breaker{(until is null ? "" : " until " + until)}" +
                        $"{(reason is null ? "" : " — last failure " + FirstLine(reason))}; its queued jobs wait (drover resume --engine {engine})",
                        new Dictionary<string, object?> { ["engine"] = engine, ["until"] = until, ["reason"] = reason, ["trips"] = Number(data, "trips") });
                }

            case "approval.requested" when e.JobId is { } job && Number(data, "id") is { } call:
                {
                    var id = ((long)call).ToString(CultureInfo.InvariantCulture);
                    var pattern = Text(data, "pattern") ?? Text(data, "tool") ?? "a tool";
                    return new AlertCandidate("approval_pending", id,
                        $"job {job} waits for a person: tool call {id} {FirstLine(pattern)} (drover approve-tool {id} allow|deny)",
                        new Dictionary<string, object?> { ["job"] = job, ["approval"] = (long)call, ["pattern"] = pattern });
                }

            default:
                return null;
        }
    }

    /// <summary>
    /// Queue stalled: not paused, nothing claimed since <see cref="AlertsConfig.StallAfter"/>, the fleet below its
    /// <c>max_running</c> cap, a live worker idle (nothing running), and a queued job waiting that long whose only
    /// reason to wait is a free slot (<paramref name="waiting"/>: such jobs with their <c>why</c>).
    /// </summary>
    public AlertCandidate? Stalled(
        StatusView status, IReadOnlyList<(JobRecord Job, string? Why)> waiting, int maxRunning, DateTimeOffset lastClaim, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(waiting);
        if (status.Paused || now - lastClaim < config.StallAfter)
            return null;
        if (maxRunning > 0 && status.Counts.GetValueOrDefault("running") >= maxRunning)
            return null;
        var idle = status.Workers
            .Where(w => w.State == "idle" && w.Running.Count == 0 && w.HeartbeatAgeS < FleetHealth.DefaultStaleAfter.TotalSeconds)
            .Select(w => w.Name)
            .ToList();
        if (idle.Count == 0)
            return null;
        foreach (var (job, why) in waiting)
        {
            if (now - job.NextEligibleAt < config.StallAfter || now - job.CreatedAt < config.StallAfter)
                continue;
            if (why is null || !why.StartsWith("ready", StringComparison.Ordinal))
                continue;
            var minutes = (now - lastClaim).TotalMinutes.ToString("0", CultureInfo.InvariantCulture);
            var n = status.Counts.GetValueOrDefault("queued");
            return new AlertCandidate("queue_stalled", "fleet",
                $"queue stalled: {n} job{(n == 1 ? "" : "s")} queued (job {job.Id} ready), none started for {minutes} min while {string.Join(", ", idle)} {(idle.Count == 1 ? "is" : "are")} idle",
                new Dictionary<string, object?> { ["queued"] = n, ["job"] = job.Id, ["idle_workers"] = idle });
        }

        return null;
    }

    private static JsonDocument ParseData(string json)
    {
        try
        {
            return JsonDocument.Parse(string.IsNullOrEmpty(json) ? "{}" : json);
        }
        catch (JsonException)
        {
            return JsonDocument.Parse("{}");
        }
    }

    private static string On(string? host) => host is { Length: > 0 } ? $" on {host}" : "";

    private static string Minutes(TimeSpan t) => t.TotalMinutes >= 1 ? $"{t.TotalMinutes:0.#} min" : $"{t.TotalSeconds:0} s";

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length > 200 ? line[..200] + "…" : line;
    }

    private static string? Text(JsonElement data, string name) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        } : null;

    private static double? Number(JsonElement data, string name) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static string Amount(JsonElement data, string name, string unit) =>
        Number(data, name) is { } n
            ? unit == "usd" ? "$" + n.ToString("0.00", CultureInfo.InvariantCulture) : n.ToString("0", CultureInfo.InvariantCulture) + " " + unit
            : "?";
}
