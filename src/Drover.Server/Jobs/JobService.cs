using System.Text.Json;
using Drover.Core;
using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Core.Storage;
using Drover.Core.Workspaces;
using Drover.Server.Hosting;

namespace Drover.Server.Jobs;

/// <summary>The application service behind the API and the local CLI: validation, submit, reads, operator actions.</summary>
public sealed partial class JobService : IDroverApi
{
    private readonly IJobStore _store;
    private readonly IRepoInspector _repos;
    private readonly Func<string, SpecParseContext> _parseContext;
    private readonly DroverHome _home;
    private readonly TimeProvider _time;
    private readonly TimeSpan _heartbeatTimeout;
    private readonly IReadOnlyList<Core.Configuration.ProviderConfig> _providers;
    private readonly Core.Configuration.ReportConfig _report;
    private readonly Core.Configuration.FleetConfig _fleet;

    /// <param name="parseContext">Builds the parse context (profiles from config) for a working directory.</param>
    /// <param name="heartbeatTimeout">A worker silent this long is not counted as live in `why`.</param>
    public JobService(
        IJobStore store,
        IRepoInspector repos,
        Func<string, SpecParseContext> parseContext,
        DroverHome home,
        TimeProvider time,
        TimeSpan heartbeatTimeout,
        IReadOnlyList<Core.Configuration.ProviderConfig>? providers = null,
        Core.Configuration.ReportConfig? report = null,
        Core.Configuration.BudgetsConfig? budgets = null,
        Core.Configuration.FleetConfig? fleet = null)
    {
        _fleet = fleet ?? new Core.Configuration.FleetConfig();
        _providers = providers ?? [];
        _report = report ?? new Core.Configuration.ReportConfig();
        _budgets = budgets;
        _store = store;
        _repos = repos;
        _parseContext = parseContext;
        _home = home;
        _time = time;
        _heartbeatTimeout = heartbeatTimeout;
    }

    public IJobStore Store => _store;

    public async Task<SubmitView> SubmitAsync(SubmitRequest request, CancellationToken ct)
    {
        var spec = ParseSpec(request);
        if (spec.Base is not null || Core.Workspaces.RepoUrl.IsUrl(spec.Repo) || IsGitCheckout(spec.Repo))
        {
            var sha = await _repos.ResolveBaseAsync(spec.Repo, spec.Base, ct);
            spec = spec with { Base = sha };
        }

        var json = JobSpecJson.Serialize(spec);
        var result = await _store.JobInsertAsync(new JobInsertParams(spec, json, JobSpecJson.Hash(json), _time.GetUtcNow()), ct);
        var outcome = result.Outcome switch
        {
            InsertOutcome.Created => "created",
            InsertOutcome.Existing => "existing",
            _ => "superseded",
        };
        return new SubmitView(await ToViewAsync(result.Job, detail: false, ct), outcome);
    }

    /// <summary>Merges the request once (<see cref="JobSpecParser.MergeSubmission"/>) and validates it against the config.</summary>
    public JobSpec ParseSpec(SubmitRequest request)
    {
        var ctx = _parseContext(request.WorkingDirectory) with { RequireRepo = request.RequireRepo };
        var format = string.Equals(request.FileFormat, "markdown", StringComparison.Ordinal) ? SpecFileFormat.Markdown : SpecFileFormat.Json;
        if (request.FileBytes is null && request.Spec is null)
            throw new JobSpecException(null, "empty spec");
        return JobSpecParser.ParseObject(JobSpecParser.MergeSubmission(request.FileBytes, format, request.Spec), ctx);
    }

    public async Task<JobView> GetJobAsync(long id, CancellationToken ct)
    {
        var job = await RequireAsync(id, ct);
        return await ToViewAsync(job, detail: true, ct);
    }

    /// <summary>The most jobs one list page holds (<c>limit</c>); a larger limit is refused, not clamped.</summary>
    public const int MaxListLimit = 500;

    public async Task<JobListView> ListJobsAsync(JobQuery query, CancellationToken ct)
    {
        JobState? state = null;
        if (query.State is { Length: > 0 } s)
        {
            if (!JobStates.TryParse(s, out var parsed))
                throw new JobSpecException("state", $"unknown state \"{s}\" (queued, running, blocked, succeeded, failed, cancelled)");
            state = parsed;
        }

        string? labelKey = null, labelValue = null;
        if (query.Label is { Length: > 0 } l)
        {
            var eq = l.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
                throw new JobSpecException("label", $"label filter \"{l}\" must be key=value");
            labelKey = l[..eq];
            labelValue = l[(eq + 1)..];
        }

        if (query.Limit is < 1 or > MaxListLimit)
            throw new JobSpecException("limit", $"limit must be between 1 and {MaxListLimit}");
        if (query.Text is { Length: > 200 })
            throw new JobSpecException("q", "text filter is longer than 200 characters");

        var page = await _store.JobListAsync(
            new JobListParams(state, labelKey, labelValue, query.Limit, query.Cursor, query.Engine is { Length: > 0 } e ? e : null, query.Text is { Length: > 0 } t ? t : null,
                WithSpec: false), ct);
        var views = new List<JobView>(page.Jobs.Count);
        foreach (var j in page.Jobs)
            views.Add(await ToListViewAsync(j, ct));
        return new JobListView(views, page.NextCursor);
    }

    public async Task<JobView> CancelAsync(long id, CancellationToken ct) =>
        await ToViewAsync(await _store.JobCancelAsync(new JobCancelParams(id, _time.GetUtcNow(), "cancelled by operator"), ct), false, ct);

    public async Task<JobView> RetryAsync(long id, CancellationToken ct) =>
        await ToViewAsync(await _store.JobRetryAsync(new JobRetryParams(id, _time.GetUtcNow()), ct), false, ct);

    public async Task<JobView> DeliverAsync(long id, string? mode, CancellationToken ct)
    {
        if (mode is not (null or "push" or "pr" or "pr_draft"))
            throw new JobSpecException("mode", $"mode: \"{mode}\" is not one of push, pr, pr_draft");
        return await ToViewAsync(await _store.DeliveryRequeueAsync(new DeliveryRequeueParams(id, _time.GetUtcNow(), mode), ct), false, ct);
    }

    public async Task<JobView> AnswerAsync(long id, string answer, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(answer))
            throw new JobSpecException("answer", "answer must not be empty");
        if (answer.Length > 64 * 1024)
            throw new JobSpecException("answer", "answer is longer than 64 KiB");
        return await ToViewAsync(await _store.JobAnswerAsync(new JobAnswerParams(id, answer, _time.GetUtcNow()), ct), false, ct);
    }

    public async Task<JobView> ApproveAsync(long id, bool approve, string? reason, CancellationToken ct) =>
        await ToViewAsync(await _store.JobApproveAsync(new JobApproveParams(id, approve, _time.GetUtcNow(), reason), ct), false, ct);

    public async Task<IReadOnlyList<WorkerView>> WorkersAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var rows = await _store.WorkerListAsync(ct);
        return rows.Select(w => ToView(w, now)).ToList();
    }

    public async Task<SpendView> UsageAsync(string period, string by, CancellationToken ct)
    {
        var span = period switch
        {
            "day" => TimeSpan.FromDays(1),
            "week" => TimeSpan.FromDays(7),
            "month" => TimeSpan.FromDays(30),
            _ => throw new JobSpecException("period", $"\"{period}\" is not day, week or month"),
        };
        var since = _time.GetUtcNow() - span;
        var rows = await _store.SpendTotalsAsync(since, by, ct);
        return new SpendView(period, by, since, [.. rows.Select(t => new SpendRowView(
            t.Key, t.Requests, t.Failed, t.InputTokens, t.CachedInputTokens, t.OutputTokens, t.ReasoningTokens, t.CostUsd, t.UnpricedRequests)
        {
            CacheWriteTokens = t.CacheWriteTokens,
        })]);
    }

    public async Task<IReadOnlyList<ProviderView>> ProvidersAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var rows = await _store.ProviderStatusAsync([.. _providers.Select(p => p.Name)], now, TimeSpan.FromHours(1), ct);
        return [.. _providers.Zip(rows, (p, r) =>
        {
            var b = r.Breaker;
            DateTimeOffset? At(long? ms) => ms is { } x ? DateTimeOffset.FromUnixTimeMilliseconds(x) : null;
            return new ProviderView(
                p.Name, p.Kind, p.BaseUrl.ToString(), p.Models, p.Price is not null,
                new ProviderCircuitView(
                    b.State, b.State == Core.Gateway.BreakerState.Open && b.OpenUntilMs <= now.ToUnixTimeMilliseconds(), b.ConsecutiveFailures,
                    At(b.OpenUntilMs), b.CooldownMs / 1000.0, b.LastError, At(b.QuotaUntilMs) is { } q && q > now ? q : null),
                new ProviderLimitsView(p.Rpm, p.Rpd, p.Tpm, p.MaxConcurrent),
                new ProviderUsedView(r.RequestsLastMinute, r.RequestsLastDay, r.TokensLastMinute, r.InFlight),
                new ProviderRecentView(r.Calls, r.Failures, r.Calls == 0 ? null : Math.Round((double)r.Failures / r.Calls, 4), r.LatencyP50Ms, r.LatencyP99Ms),
                r.Health, r.HealthAt);
        })];
    }

    public async Task<StatusView> StatusAsync(CancellationToken ct)
    {
        var workers = await WorkersAsync(ct);
        var counts = await _store.JobCountsAsync(ct);
        var fleet = await _store.FleetGetAsync(ct);
        var gates = new List<string>();
        if (fleet.Paused)
            gates.Add("fleet paused" + (fleet.PausedAt is { } at ? $" since {at:u}" : ""));
        foreach (var g in fleet.Gates)
            gates.Add($"engine {g.Engine} waiting until {g.Until:yyyy-MM-dd'T'HH:mm:ss'Z'}: {g.Reason}");
        var now = _time.GetUtcNow();
        gates.AddRange(fleet.Breakers.Select(b => FleetGates.Breaker(b, now)));
        if (FleetGates.MaxRunning(fleet) is { } cap)
            gates.Add(cap);
        return new StatusView(
            workers,
            Enum.GetValues<JobState>().ToDictionary(s => s.ToWire(), s => counts.TryGetValue(s, out var n) ? n : 0),
            fleet.Paused,
            gates,
            [.. fleet.Gates.Select(g => new EngineGateView(g.Engine, g.Until, g.Reason)), .. fleet.Breakers.Select(b => FleetGates.BreakerGate(b, now))],
            await BudgetsAsync(ct))
        {
            Host = HostNow(),
        };
    }

    public Task SetPausedAsync(bool paused, CancellationToken ct) =>
        _store.FleetSetPausedAsync(new FleetPauseParams(paused, _time.GetUtcNow()), ct);

    public async Task<IReadOnlyList<EventView>> EventsAsync(long since, int limit, long? jobId, CancellationToken ct)
    {
        if (limit is < 1 or > 10_000)
            throw new JobSpecException("limit", "limit must be between 1 and 10000");
        var rows = await _store.EventListAsync(new EventListParams(since, limit, jobId), ct);
        return rows.Select(ToView).ToList();
    }

    public async Task<LogChunk> ReadLogAsync(long id, int? attempt, long offset, CancellationToken ct)
    {
        var job = await RequireAsync(id, ct);
        var n = attempt ?? job.Attempt;
        if (n < 1)
            return new LogChunk(0, 0, "", AttemptEnded: job.State.IsTerminal());
        if (n > job.Attempt)
            throw new NotFoundException($"job {id} has no attempt {n} (attempts so far: {job.Attempt})");

        var path = Path.Combine(_home.RunsDir, id.ToString(), n.ToString(), "log");
        var ended = n < job.Attempt || job.State != JobState.Running;
        byte[] buffer;
        int read;
        long length;
        if (File.Exists(path))
        {
            await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            length = fs.Length;
            if (offset > length)
                offset = length;
            fs.Seek(offset, SeekOrigin.Begin);
            buffer = new byte[Math.Min(length - offset, 1 << 20)];
            read = await fs.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct);
        }
        else
        {
            // Another host ran it: what its worker shipped to the store (while the attempt runs, up to a second behind).
            var stored = await _store.LogReadAsync(id, n, offset, 1 << 20, ct);
            if (stored.StoredBytes == 0)
                return new LogChunk(n, offset, "", ended);
            buffer = stored.Data;
            read = buffer.Length;
            length = offset + read < stored.StoredBytes ? stored.StoredBytes : offset + read;
        }

        // Never split a UTF-8 sequence: stop at the last complete character.
        var cut = read;
        while (cut > 0 && cut > read - 4 && (buffer[cut - 1] & 0xC0) == 0x80)
            cut--;
        if (cut > 0 && (buffer[cut - 1] & 0x80) != 0 && cut < read)
            cut--;
        if (cut <= 0 || cut < read - 4)
            cut = read;
        var text = System.Text.Encoding.UTF8.GetString(buffer, 0, cut);
        return new LogChunk(n, offset + cut, text, ended && offset + cut >= length);
    }

    private async Task<JobRecord> RequireAsync(long id, CancellationToken ct) =>
        await _store.JobGetAsync(id, ct) ?? throw new NotFoundException($"job {id} not found");

    private static bool IsGitCheckout(string dir)
    {
        for (var d = new DirectoryInfo(dir); d is not null; d = d.Parent)
        {
            if (Directory.Exists(Path.Combine(d.FullName, ".git")) || File.Exists(Path.Combine(d.FullName, ".git")))
                return true;
        }

        return false;
    }

    internal static EventView ToView(EventRecord e)
    {
        JsonElement data;
        try
        {
            data = JsonDocument.Parse(string.IsNullOrEmpty(e.DataJson) ? "{}" : e.DataJson).RootElement.Clone();
        }
        catch (JsonException)
        {
            data = JsonSerializer.SerializeToElement(new { raw = e.DataJson });
        }

        return new EventView(e.Id, e.At, e.Type, e.JobId, e.Worker, data);
    }

    internal static WorkerView ToView(WorkerRecord w, DateTimeOffset now) => new(
        w.Name, w.Host, w.Pid, w.State, w.Slots, w.Running, w.Capabilities, w.StartedAt, w.LastHeartbeatAt,
        Math.Round(Math.Max(0, (now - w.LastHeartbeatAt).TotalSeconds), 1))
    {
        Gate = w.Gate,
    };

    /// <summary>This host's free memory and disk (the home's filesystem), as the workers' gates measure them.</summary>
    public HostView HostNow() => new(
        Environment.MachineName, _home.Root, Supervision.HostResources.ReadMemAvailable(), _fleet.MinFreeMemoryBytes,
        Supervision.HostResources.ReadFreeDisk(_home.Root), _fleet.MinFreeDiskBytes);
}
