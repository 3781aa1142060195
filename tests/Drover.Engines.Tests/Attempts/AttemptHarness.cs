using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Engines.Attempts;
using Drover.Engines.Tests.Support;
using Drover.Engines.Workspaces;

namespace Drover.Engines.Tests.Attempts;

/// <summary>
/// A Drover home, a git repo with one commit, and what a worker would hand <see cref="IAttemptRunner"/>:
/// a spec parsed the way submit parses it (base resolved to a sha) and a claimed <see cref="JobRecord"/>.
/// </summary>
public sealed class AttemptHarness : IDisposable
{
    private readonly TempDir _dir = new();

    public AttemptHarness()
    {
        Home = _dir.Dir("home");
        Repo = _dir.Combine("repo");
        BaseSha = Git.InitRepo(Repo);
        Plain = _dir.Dir("plain");
    }

    public string Home { get; }
    public string Repo { get; }
    public string BaseSha { get; }

    /// <summary>A directory that is not a git repo.</summary>
    public string Plain { get; }

    public RecordingSink Sink { get; } = new();
    public IAttemptRunner Runner { get; set; } = new ShellAttemptRunner();
    public TimeSpan KillGrace { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Parses a spec from JSON keys (repo defaults to <see cref="Repo"/>) and records its base like submit does.</summary>
    public async Task<JobSpec> SpecAsync(string json)
    {
        var raw = JsonNode.Parse(json)!.AsObject();
        raw["repo"] ??= Repo;
        var spec = JobSpecParser.ParseObject(raw, SpecParseContext.For(Repo));
        var baseSha = await new GitRepoInspector().ResolveBaseAsync(spec.Repo, spec.Base, TestContext.Current.CancellationToken);
        return baseSha is null ? spec : spec with { Base = baseSha };
    }

    public static JobRecord Job(JobSpec spec, long id = 1, int attempt = 1, IReadOnlyList<string>? answers = null)
    {
        var now = DateTimeOffset.UtcNow;
        var json = JobSpecJson.Serialize(spec);
        return new JobRecord
        {
            Id = id,
            Title = spec.Title,
            State = JobState.Running,
            Priority = spec.Priority,
            Engine = spec.Engine,
            Attempt = attempt,
            MaxAttempts = spec.Retry.MaxAttempts,
            Worker = "test-worker",
            Epoch = attempt,
            SpecJson = json,
            SpecHash = JobSpecJson.Hash(json),
            Answers = answers ?? [],
            CreatedAt = now,
            UpdatedAt = now,
            NextEligibleAt = now,
        };
    }

    public Task<AttemptReport> RunAsync(JobSpec spec, JobRecord? job = null, CancellationToken? abort = null) =>
        Runner.RunAsync(
            new AttemptContext(job ?? Job(spec), spec, Home, KillGrace, Sink),
            abort ?? TestContext.Current.CancellationToken);

    /// <summary>Parses <paramref name="json"/> and runs it as attempt 1 of job 1.</summary>
    public async Task<AttemptReport> RunAsync(string json) => await RunAsync(await SpecAsync(json));

    public string RunDir(long job = 1, int attempt = 1) => Path.Combine(Home, "runs", $"{job}", $"{attempt}");

    public string[] LogLines(long job = 1, int attempt = 1) => File.ReadAllLines(Path.Combine(RunDir(job, attempt), "log"));

    public JsonElement ResultJson(long job = 1, int attempt = 1)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(RunDir(job, attempt), "result.json")));
        return doc.RootElement.Clone();
    }

    public string Worktree(long job = 1) => GitWorkspaces.WorktreePath(Home, job);

    /// <summary>A JSON string literal for embedding shell text in a spec.</summary>
    public static string Quote(string text) => JsonSerializer.Serialize(text);

    /// <summary>A spec's JSON for a shell <paramref name="command"/> plus extra keys (<c>"timeout": "1s"</c> …).</summary>
    public static string Shell(string command, string extraKeys = "") =>
        $"{{\"command\": {Quote(command)}{(extraKeys.Length > 0 ? ", " + extraKeys : "")}}}";

    /// <summary>The content of <paramref name="path"/> at the tip of the job's branch, read from the user's repo.</summary>
    public string OnJobBranch(string path, long job = 1) => Git.Run(Repo, "show", $"{GitWorkspaces.BranchName(job)}:{path}");

    public void Dispose() => _dir.Dispose();
}

/// <summary>Records progress in order and lets a test react to a given progress text.</summary>
public sealed class RecordingSink : IAttemptSink
{
    private readonly ConcurrentQueue<string> _progress = new();

    public IReadOnlyList<string> Progress => [.. _progress];

    /// <summary>Runs inside the stdout reader for every progress line, after it is recorded.</summary>
    public Func<string, CancellationToken, Task>? OnProgress { get; set; }

    /// <summary>The budget verdict for the attempt's reported usage (null usage: before the engine starts); null = go on.</summary>
    public Func<UsageRecord?, BudgetStop?>? Budget { get; set; }

    public async Task ProgressAsync(string text, CancellationToken ct)
    {
        _progress.Enqueue(text);
        if (OnProgress is { } callback)
        {
            await callback(text, ct);
        }
    }

    public Task<BudgetStop?> BudgetAsync(UsageRecord? reported, CancellationToken ct) => Task.FromResult(Budget?.Invoke(reported));
}
