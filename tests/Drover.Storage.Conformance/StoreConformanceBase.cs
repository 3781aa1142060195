using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>
/// Base of every conformance class: how a backend makes stores, plus small helpers that keep the
/// tests about the rule they check. Time is explicit (<see cref="T0"/> plus offsets); nothing sleeps.
/// </summary>
public abstract class StoreConformanceBase : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    protected static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);

    private readonly List<IJobStore> _stores = [];

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A fresh, migrated, empty store. The base disposes it after the test.</summary>
    protected abstract Task<IJobStore> CreateStoreAsync();

    /// <summary>
    /// A second, independent store instance on the same database as <paramref name="first"/> (as a
    /// second process would open it), or null when the backend cannot share a database.
    /// </summary>
    protected virtual Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => Task.FromResult<IJobStore?>(null);

    /// <summary>Runs after every store of the test is disposed (delete files, drop schemas).</summary>
    protected virtual ValueTask CleanupAsync() => ValueTask.CompletedTask;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
            await store.DisposeAsync();
        _stores.Clear();
        await CleanupAsync();
        GC.SuppressFinalize(this);
    }

    protected async Task<IJobStore> NewStoreAsync()
    {
        var store = await CreateStoreAsync();
        _stores.Add(store);
        return store;
    }

    /// <summary>The second instance, or <paramref name="first"/> itself when the backend has none.</summary>
    protected async Task<IJobStore> SecondInstanceOrSameAsync(IJobStore first)
    {
        var second = await OpenSecondInstanceAsync(first);
        if (second is null)
            return first;
        _stores.Add(second);
        return second;
    }

    protected static DateTimeOffset At(double seconds) => T0.AddSeconds(seconds);

    protected static JobSpec Spec(
        string title = "job",
        int priority = 50,
        string? key = null,
        IReadOnlyList<string>? after = null,
        DepsMode depsMode = DepsMode.Hard,
        string? lockKey = null,
        IReadOnlyList<string>? capabilities = null,
        string engine = "shell",
        IReadOnlyDictionary<string, string>? labels = null,
        RetryPolicy? retry = null) => new()
        {
            Title = title,
            Prompt = "do " + title,
            Engine = engine,
            Repo = "/tmp/repo",
            CommandLine = engine == "shell" ? "true" : null,
            Priority = priority,
            Key = key,
            After = after ?? [],
            DepsMode = depsMode,
            Lock = lockKey,
            Capabilities = capabilities ?? [],
            Labels = labels is null
                ? new SortedDictionary<string, string>(StringComparer.Ordinal)
                : new SortedDictionary<string, string>(labels.ToDictionary(), StringComparer.Ordinal),
            Retry = retry ?? RetryPolicy.Default,
        };

    protected static JobInsertParams InsertParams(JobSpec spec, DateTimeOffset now)
    {
        var json = JobSpecJson.Serialize(spec);
        return new JobInsertParams(spec, json, JobSpecJson.Hash(json), now);
    }

    protected static async Task<JobRecord> SubmitAsync(IJobStore store, JobSpec spec, DateTimeOffset? now = null) =>
        (await store.JobInsertAsync(InsertParams(spec, now ?? T0), Ct)).Job;

    protected static Task<JobRecord> SubmitAsync(IJobStore store, string title = "job", int priority = 50, DateTimeOffset? now = null) =>
        SubmitAsync(store, Spec(title, priority), now);

    protected static Task<IReadOnlyList<JobRecord>> ClaimAsync(
        IJobStore store,
        DateTimeOffset? now = null,
        int max = 1,
        string worker = "w1",
        IReadOnlyList<string>? capabilities = null,
        IReadOnlySet<string>? pausedEngines = null) =>
        store.JobClaimAsync(new JobClaimParams(worker, now ?? T0, Ttl, max, [.. capabilities ?? [], ShellEngine], pausedEngines), Ct);

    /// <summary>What every worker offers built in (WorkerOptions): jobs run only where their engine is.</summary>
    protected const string ShellEngine = "engine:shell";

    /// <summary>Claims exactly one job and returns it (fails the test when nothing is claimable).</summary>
    protected static async Task<JobRecord> ClaimOneAsync(IJobStore store, DateTimeOffset? now = null, string worker = "w1")
    {
        var claimed = await ClaimAsync(store, now, 1, worker);
        claimed.Count.ShouldBe(1, "expected one claimable job");
        return claimed[0];
    }

    protected static Task<JobCompleteResult> CompleteAsync(
        IJobStore store, JobRecord claimed, AttemptOutcome outcome, DateTimeOffset? now = null, AttemptResult? result = null, double jitter = 0.5) =>
        store.JobCompleteAsync(
            new JobCompleteParams(claimed.Id, claimed.Epoch, now ?? claimed.UpdatedAt, outcome, result ?? new AttemptResult(ExitCode: 0), jitter),
            Ct);

    protected static Task<JobCompleteResult> SucceedAsync(IJobStore store, JobRecord claimed, DateTimeOffset? now = null) =>
        CompleteAsync(store, claimed, AttemptOutcome.Success(), now, new AttemptResult(ExitCode: 0, EngineRan: true));

    protected static Task<JobCompleteResult> FailAsync(
        IJobStore store, JobRecord claimed, string cls = FailureClass.Crash, DateTimeOffset? now = null, bool engineRan = false) =>
        CompleteAsync(store, claimed, AttemptOutcome.Failure(cls, "boom"), now, new AttemptResult(ExitCode: 1, EngineRan: engineRan));

    protected static async Task<JobRecord> GetAsync(IJobStore store, long id) =>
        await store.JobGetAsync(id, Ct) ?? throw new InvalidOperationException($"job {id} missing");

    protected static async Task<List<EventRecord>> EventsAsync(IJobStore store, long? jobId = null) =>
        [.. await store.EventListAsync(new EventListParams(0, 10_000, jobId), Ct)];

    protected static async Task<List<string>> EventTypesAsync(IJobStore store, long? jobId = null) =>
        [.. (await EventsAsync(store, jobId)).Select(e => e.Type)];
}
