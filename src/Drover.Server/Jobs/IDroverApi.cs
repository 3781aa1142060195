using System.Text.Json.Nodes;

namespace Drover.Server.Jobs;

/// <summary>
/// What the CLI can ask of Drover. Implemented by <see cref="JobService"/> (directly on the store)
/// and by the CLI's HTTP client (against a running `serve`), so every command is written once.
/// Errors surface as <see cref="Core.JobSpecException"/>, <see cref="Core.NotFoundException"/>,
/// <see cref="Core.ConflictException"/> on both paths.
/// </summary>
public interface IDroverApi
{
    Task<SubmitView> SubmitAsync(SubmitRequest request, CancellationToken ct);
    Task<JobView> GetJobAsync(long id, CancellationToken ct);
    Task<JobListView> ListJobsAsync(JobQuery query, CancellationToken ct);
    Task<JobView> CancelAsync(long id, CancellationToken ct);
    Task<JobView> RetryAsync(long id, CancellationToken ct);

    /// <summary>Asks for a succeeded job's delivery again, or for the first time (SPEC §12); <paramref name="mode"/> null: the mode it had.</summary>
    Task<JobView> DeliverAsync(long id, string? mode, CancellationToken ct);
    Task<JobView> AnswerAsync(long id, string answer, CancellationToken ct);
    Task<JobView> ApproveAsync(long id, bool approve, string? reason, CancellationToken ct);
    Task<StatusView> StatusAsync(CancellationToken ct);
    Task<IReadOnlyList<WorkerView>> WorkersAsync(CancellationToken ct);

    /// <summary>Gateway spend over the last day, week or month, grouped by provider, model or job.</summary>
    Task<SpendView> UsageAsync(string period, string by, CancellationToken ct);

    /// <summary>Every configured provider: circuit, limits used (fleet-wide), last hour's error rate and latency.</summary>
    Task<IReadOnlyList<ProviderView>> ProvidersAsync(CancellationToken ct);
    Task SetPausedAsync(bool paused, CancellationToken ct);

    /// <summary>Clears an engine's failure-rate breaker and usage-limit gate; false when neither held it.</summary>
    Task<bool> ResumeEngineAsync(string engine, CancellationToken ct);

    /// <summary>The fleet report over the last <paramref name="days"/> UTC days (0: <c>[report] days</c>).</summary>
    Task<Reports.FleetReport> ReportAsync(int days, CancellationToken ct);
    Task<IReadOnlyList<EventView>> EventsAsync(long since, int limit, long? jobId, CancellationToken ct);

    /// <summary>Open alerts, newest first (every alert with <paramref name="all"/>).</summary>
    Task<IReadOnlyList<AlertView>> AlertsAsync(bool all, CancellationToken ct);

    Task<AlertView> AckAlertAsync(long id, CancellationToken ct);

    /// <summary>Tool calls waiting for a person, oldest first (one job's with <paramref name="jobId"/>; decided ones too with <paramref name="all"/>).</summary>
    Task<IReadOnlyList<ApprovalView>> ApprovalsAsync(long? jobId, bool all, CancellationToken ct);

    /// <summary>Allows or denies a waiting tool call (<paramref name="by"/> names who); already decided → <see cref="Core.ConflictException"/>.</summary>
    Task<ApprovalView> DecideToolAsync(long id, string decision, bool always, string by, CancellationToken ct);

    /// <summary>Jobs other jobs proposed, waiting for a person, oldest first (SPEC §12).</summary>
    Task<IReadOnlyList<ProposalView>> ProposalsAsync(CancellationToken ct);

    /// <summary>Queues a waiting proposal; an id that is not one → <see cref="Core.JobSpecException"/>.</summary>
    Task<JobView> AcceptProposalAsync(long id, CancellationToken ct);

    /// <summary>Cancels a waiting proposal and remembers its key; an id that is not one → <see cref="Core.JobSpecException"/>.</summary>
    Task<JobView> RejectProposalAsync(long id, string? reason, CancellationToken ct);

    /// <summary>Every schedule by name with its next run and last job (SPEC §12).</summary>
    Task<IReadOnlyList<ScheduleView>> SchedulesAsync(CancellationToken ct);

    Task<ScheduleView> AddScheduleAsync(ScheduleAddRequest request, CancellationToken ct);

    /// <summary>Removes a schedule added by hand; one from drover.toml → <see cref="Core.ConflictException"/>.</summary>
    Task RemoveScheduleAsync(string name, CancellationToken ct);

    /// <summary>Submits one job of the schedule now.</summary>
    Task<SubmitView> RunScheduleAsync(string name, CancellationToken ct);

    /// <summary>One pass over every <c>[[trackers]]</c> entry now: issues seen, jobs submitted, updated, cancelled.</summary>
    Task<IReadOnlyList<Trackers.TrackerSyncView>> SyncTrackersAsync(CancellationToken ct);

    /// <summary>Every configured tracker with its forge, poll interval and last pass.</summary>
    Task<IReadOnlyList<Trackers.TrackerView>> TrackersAsync(CancellationToken ct);

    /// <summary>The attempt's log from <paramref name="offset"/> on (empty when none yet), and the attempt it belongs to.</summary>
    Task<LogChunk> ReadLogAsync(long id, int? attempt, long offset, CancellationToken ct);
}

/// <summary>
/// A spec to submit: a JSON object, or a file's bytes (json or markdown) with the object's keys laid over them
/// (<see cref="Core.Specs.JobSpecParser.MergeSubmission"/>). The CLI merges on its side and sends the object only.
/// </summary>
/// <param name="WorkingDirectory">Where relative paths in the spec resolve (the submitter's cwd).</param>
/// <param name="RequireRepo">No default <c>repo</c> (the HTTP API): the spec or its profile must name one.</param>
public sealed record SubmitRequest(JsonObject? Spec, byte[]? FileBytes, string? FileFormat, string WorkingDirectory, bool RequireRepo = false);

/// <param name="Engine">Only jobs of this engine.</param>
/// <param name="Text">Only jobs whose title contains this text, ignoring case.</param>
public sealed record JobQuery(string? State = null, string? Label = null, int Limit = 50, long? Cursor = null, string? Engine = null, string? Text = null);

public sealed record LogChunk(int Attempt, long Offset, string Text, bool AttemptEnded);
