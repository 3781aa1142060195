using System.Globalization;
using System.Text.Json;
using Drover.Server.Jobs;
using Spectre.Console;

namespace Drover.Cli.Output;

/// <summary>Human and JSON output for the CLI.</summary>
public static class Render
{
    public static void Json<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, DroverJson.Indented));

    public static string Ago(DateTimeOffset t)
    {
        var d = DateTimeOffset.UtcNow - t;
        return d.TotalSeconds < 60 ? $"{d.TotalSeconds:0}s ago"
            : d.TotalMinutes < 60 ? $"{d.TotalMinutes:0}m ago"
            : d.TotalHours < 48 ? $"{d.TotalHours:0}h ago"
            : t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    public static string StateMarkup(string state) => state switch
    {
        "succeeded" => "[green]succeeded[/]",
        "failed" => "[red]failed[/]",
        "running" => "[blue]running[/]",
        "blocked" => "[yellow]blocked[/]",
        "cancelled" => "[grey]cancelled[/]",
        _ => Text(state),
    };

    public static void JobTable(IReadOnlyList<JobView> jobs)
    {
        var t = new Table().Border(TableBorder.Simple);
        // The delivery column only when some job has one: most queues deliver nothing and stay narrow.
        var delivering = jobs.Any(j => j.Delivery is not null);
        foreach (var c in delivering
            ? new[] { "ID", "STATE", "PRI", "ENGINE", "TRY", "FAILED", "UPDATED", "DELIVERY", "TITLE" }
            : new[] { "ID", "STATE", "PRI", "ENGINE", "TRY", "FAILED", "UPDATED", "TITLE" })
            t.AddColumn(c);
        foreach (var j in jobs)
        {
            var state = StateMarkup(j.State) + (j.Class is { } c && j.State != "succeeded" ? $" [grey]({Text(c)})[/]" : "");
            string[] cells =
            [
                j.Id.ToString(CultureInfo.InvariantCulture),
                state,
                j.Priority.ToString(CultureInfo.InvariantCulture),
                Text(j.Engine),
                j.Attempt.ToString(CultureInfo.InvariantCulture),
                $"{j.Failures}/{j.MaxAttempts}",
                Ago(j.UpdatedAt),
            ];
            t.AddRow([.. cells, .. delivering ? [DeliveryCell(j.Delivery)] : Array.Empty<string>(), Text(Cut(j.Title, 60))]);
        }

        AnsiConsole.Write(t);
    }

    /// <summary>A list row's delivery: the pull request's path (<c>o/r/pull/7</c>), or the state when there is none yet.</summary>
    private static string DeliveryCell(DeliveryView? d) => d switch
    {
        null => "",
        { State: "delivered", Url: { } url } => Text(Cut(ShortUrl(url), 40)),
        { State: "failed" } => "[red]failed[/]",
        _ => Text(d.State),
    };

    private static string ShortUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" ? u.AbsolutePath.TrimStart('/') : url;

    /// <summary>The delivery line of <c>show</c>: mode, state, pull request and, when it is not delivered, why and when next.</summary>
    private static string DeliveryLine(DeliveryView d)
    {
        var line = $"{d.Mode} {d.State}" + (d.Url is { } url ? $": {url}" : "");
        if (d.State != "delivered" && d.Reason is { } reason)
            line += $" ({reason})";
        else if (d.Reason is { } note)
            line += $"; {note}";
        if (d.NextAt is { } next && d.Tries > 0)
            line += $", try {d.Tries + 1} at {next:HH:mm:ss}Z";
        return line;
    }

    /// <summary>"in 120 + cached 2,100 + cache write 0, out 90 (reasoning 10), $0.0012 (priced, gpt-5.5)".</summary>
    private static string Usage(UsageView u)
    {
        var ic = CultureInfo.InvariantCulture;
        var input = string.Create(ic, $"in {u.InputTokens:N0} + cached {u.CachedInputTokens:N0}")
            + (u.CacheWriteTokens > 0 ? string.Create(ic, $" + cache write {u.CacheWriteTokens:N0}") : "");
        var output = string.Create(ic, $"out {u.OutputTokens:N0}")
            + (u.ReasoningTokens > 0 ? string.Create(ic, $" (reasoning {u.ReasoningTokens:N0})") : "");
        var cost = u.CostSource == "unknown" ? "cost unknown" : string.Create(ic, $"${u.CostUsd:0.######} ({u.CostSource})");
        return $"{input}, {output}, {cost}" + (u.Model is { } m ? $", {m}" : "");
    }

    public static void Spend(SpendView u)
    {
        var t = new Table().Border(TableBorder.Simple).Title($"gateway spend, last {u.Period}, by {u.By}");
        foreach (var c in new[] { u.By.ToUpperInvariant(), "REQUESTS", "FAILED", "INPUT", "CACHED", "OUTPUT", "COST USD" })
            t.AddColumn(c);
        var ic = CultureInfo.InvariantCulture;
        foreach (var row in u.Rows)
        {
            var cost = row.CostUsd.ToString("0.######", ic) + (row.UnpricedRequests > 0 ? $" (+{row.UnpricedRequests} unpriced)" : "");
            t.AddRow(Text(row.Key), row.Requests.ToString(ic), row.Failed.ToString(ic), row.InputTokens.ToString("N0", ic),
                row.CachedInputTokens.ToString("N0", ic), row.OutputTokens.ToString("N0", ic), Text(cost));
        }

        AnsiConsole.Write(t);
    }

    public static void Providers(IReadOnlyList<ProviderView> providers)
    {
        if (providers.Count == 0)
        {
            AnsiConsole.MarkupLine("no [[[[providers]]]] in drover.toml");
            return;
        }

        var t = new Table().Border(TableBorder.Simple).Title("gateway providers (last hour)");
        foreach (var c in new[] { "PROVIDER", "KIND", "CIRCUIT", "RPM", "RPD", "TPM", "IN FLIGHT", "CALLS", "ERRORS", "P50 MS", "P99 MS", "HEALTH" })
            t.AddColumn(c);
        var ic = CultureInfo.InvariantCulture;
        static string Used(long used, long limit) => limit > 0 ? $"{used}/{limit}" : used.ToString(CultureInfo.InvariantCulture);
        foreach (var p in providers)
        {
            var c = p.Circuit;
            var circuit = c.State switch
            {
                "open" when c.ProbeDue => "[yellow]open, probe due[/]",
                "open" => $"[red]open until {c.OpenUntil:HH:mm:ss}[/]",
                "half_open" => "[yellow]half-open[/]",
                _ => "[green]closed[/]",
            };
            if (c.QuotaUntil is { } q)
                circuit += $" [red]quota until {q:HH:mm:ss}[/]";
            t.AddRow(Text(p.Name), p.Kind, circuit, Used(p.Used.Rpm, p.Limits.Rpm), Used(p.Used.Rpd, p.Limits.Rpd), Used(p.Used.Tpm, p.Limits.Tpm),
                Used(p.Used.InFlight, p.Limits.MaxConcurrent), p.LastHour.Calls.ToString(ic),
                p.LastHour.ErrorRate is { } e ? e.ToString("P0", ic) : "-",
                p.LastHour.LatencyP50Ms is { } p50 ? p50.ToString("0.#", ic) : "-", p.LastHour.LatencyP99Ms is { } p99 ? p99.ToString("0.#", ic) : "-",
                Text(p.Health ?? "-"));
        }

        AnsiConsole.Write(t);
        foreach (var p in providers.Where(p => p.Circuit.State != "closed" && p.Circuit.LastError is not null))
            AnsiConsole.MarkupLine($"{Text(p.Name)}: {Text(p.Circuit.LastError!)}");
    }

    public static void Job(JobView j)
    {
        AnsiConsole.MarkupLine($"[bold]job {j.Id}[/]  {StateMarkup(j.State)}  {Text(j.Title)}");
        Field("engine", j.Engine);
        Field("priority", j.Priority.ToString(CultureInfo.InvariantCulture));
        Field("attempts", $"{j.Attempt} started, {j.Failures} failed of {j.MaxAttempts} allowed");
        if (j.Why is { } why)
            Field("why", why);
        if (j.Class is { } cls)
            Field("last failure", $"{cls}: {j.Reason}");
        else if (j.Reason is { } reason)
            Field("reason", reason);
        if (j.Worker is { } w && j.State == "running")
            Field("worker", $"{w} (epoch {j.Epoch}, lease until {j.LeaseExpiresAt:HH:mm:ss})");
        if (j.Key is { } key)
            Field("key", key);
        if (j.After.Count > 0)
            Field("after", string.Join(", ", j.After));
        if (j.Labels.Count > 0)
            Field("labels", string.Join(", ", j.Labels.Select(kv => $"{kv.Key}={kv.Value}")));
        if (j.Branch is { } branch)
            Field("branch", $"{branch} @ {j.Head?[..Math.Min(12, j.Head.Length)]}");
        if (j.Diff is { } d)
            Field("diff", $"{d.Files} files, +{d.Added} -{d.Deleted}");
        if (j.Usage.InputTokens + j.Usage.CachedInputTokens + j.Usage.CacheWriteTokens + j.Usage.OutputTokens > 0 || j.Usage.CostUsd > 0)
            Field("usage", Usage(j.Usage));
        if (j.GatewaySpend is { Requests: > 0 } g)
        {
            var ic = CultureInfo.InvariantCulture;
            Field("gateway", $"{g.Requests} requests ({g.Failed} failed), in {g.InputTokens.ToString("N0", ic)} + {g.CachedInputTokens.ToString("N0", ic)} cached, " +
                $"out {g.OutputTokens.ToString("N0", ic)}, ${g.CostUsd.ToString("0.######", ic)}{(g.UnpricedRequests > 0 ? $" (+{g.UnpricedRequests} unpriced)" : "")}");
        }

        if (j.Summary is { Length: > 0 } summary)
            Field("summary", Cut(summary.ReplaceLineEndings(" "), 200));
        if (j.Delivery is { } delivery)
            Field("delivery", DeliveryLine(delivery));
        Field("created", $"{j.CreatedAt:yyyy-MM-dd HH:mm:ss}Z, updated {Ago(j.UpdatedAt)}");
        if (j.PendingApprovals is { Count: > 0 } pending)
            Commands.ApprovalCommands.Print(pending);

        if (j.Attempts is { Count: > 0 } attempts)
        {
            var t = new Table().Border(TableBorder.Simple).Title("attempts");
            foreach (var c in new[] { "#", "WORKER", "STATE", "CLASS", "EXIT", "SECONDS", "REASON" })
                t.AddColumn(c);
            foreach (var a in attempts)
            {
                t.AddRow(
                    a.N.ToString(CultureInfo.InvariantCulture),
                    Text(a.Worker),
                    StateMarkup(a.State),
                    Text(a.Class ?? ""),
                    a.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "",
                    a.DurationS?.ToString("0.0", CultureInfo.InvariantCulture) ?? "",
                    Text(Cut(a.Reason ?? "", 70)));
            }

            AnsiConsole.Write(t);
        }

        if (j.Events is { Count: > 0 } events)
        {
            AnsiConsole.MarkupLine("[bold]events[/]");
            foreach (var e in events.TakeLast(15))
                AnsiConsole.MarkupLine($"  [grey]{e.At:HH:mm:ss.fff}[/] {Text(e.Type)} {Text(Cut(e.Data.GetRawText(), 100))}");
        }
    }

    public static void Status(StatusView s)
    {
        AnsiConsole.MarkupLine(string.Join("  ", s.Counts.Select(kv => $"{StateMarkup(kv.Key)} {kv.Value}")));
        AnsiConsole.MarkupLine(s.Paused ? "[yellow]fleet paused[/]" : "fleet running");
        foreach (var g in s.Gates)
            AnsiConsole.MarkupLine($"gate: {Text(g)}");
        foreach (var w in s.Workers.Where(w => w.Gate is not null && w.State is not ("lost" or "stopped")))
            AnsiConsole.MarkupLine($"[yellow]gate: worker {Text(w.Name)} claims nothing: {Text(w.Gate!)}[/]");
        if (s.Host is { } h)
            AnsiConsole.MarkupLine(Text(HostLine(h)));
        Workers(s.Workers);
    }

    public static void Engines(IReadOnlyList<Drover.Engines.Agents.EngineInfo> engines)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var c in new[] { "ENGINE", "VERSION", "PATH", "CAPABILITIES / PROBLEM" })
            table.AddColumn(c);
        table.AddRow("shell", "-", "/bin/sh", "engine:shell");
        foreach (var e in engines)
        {
            table.AddRow(
                Text(e.Name),
                Text(e.Version ?? "-"),
                Text(e.Path ?? "-"),
                e.Error is { } error ? $"[yellow]{Text(error)}[/]" : Text(string.Join(", ", e.Capabilities)));
        }

        AnsiConsole.Write(table);
    }

    /// <summary>One plain line per check (status, what, detail), then the counts: easy to read and to grep.</summary>
    public static void Doctor(IReadOnlyList<Commands.DoctorCheck> checks)
    {
        ArgumentNullException.ThrowIfNull(checks);
        var width = checks.Max(c => c.Name.Length);
        foreach (var c in checks)
            Console.Out.WriteLine($"{c.Status,-4}  {c.Name.PadRight(width)}  {SafeText.Line(c.Detail)}");
        Console.Out.WriteLine(Commands.Doctor.Summary(checks));
    }

    /// <summary><c>host h1: free memory 21.5 GiB (min 512 MiB), free disk 78 GiB (min 2 GiB) on /home</c>.</summary>
    public static string HostLine(HostView h)
    {
        static string Amount(long? free, long min) =>
            (free is { } f ? Drover.Server.Supervision.HostResources.Size(f) : "unknown") + (min > 0 ? $" (min {Drover.Server.Supervision.HostResources.Size(min)})" : "");
        return $"host {h.Name}: free memory {Amount(h.FreeMemoryBytes, h.MinFreeMemoryBytes)}, free disk {Amount(h.FreeDiskBytes, h.MinFreeDiskBytes)} on {h.Home}";
    }

    public static void Workers(IReadOnlyList<WorkerView> workers)
    {
        if (workers.Count == 0)
        {
            AnsiConsole.MarkupLine("[grey]no workers registered[/]");
            return;
        }

        var t = new Table().Border(TableBorder.Simple);
        foreach (var c in new[] { "WORKER", "HOST", "PID", "STATE", "SLOTS", "RUNNING", "HEARTBEAT" })
            t.AddColumn(c);
        foreach (var w in workers)
        {
            t.AddRow(
                Text(w.Name),
                Text(w.Host),
                w.Pid.ToString(CultureInfo.InvariantCulture),
                w.Gate is null || w.State is "lost" or "stopped" ? w.State : w.State + " (gated)",
                w.Slots.ToString(CultureInfo.InvariantCulture),
                string.Join(",", w.Running),
                $"{w.HeartbeatAgeS:0.0}s ago");
        }

        AnsiConsole.Write(t);
    }

    private static void Field(string name, string value) =>
        AnsiConsole.MarkupLine($"  [grey]{name,-13}[/] {Text(value)}");

    /// <summary>Markup-escaped, with control characters and bidi overrides shown as escapes (job text reaches here).</summary>
    public static string Text(string s) => Markup.Escape(SafeText.Line(s));

    private static string Cut(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";
}
