namespace Drover.Core.Storage;

/// <summary>
/// One tool call an agent asked to make that a rule said to <c>ask</c> about (SPEC §13): pending until
/// <see cref="DecidedAt"/> is set. <see cref="Pattern"/> is the exact rule a decision with <see cref="Always"/> adds to
/// the job (<c>Bash(git push origin main)</c>). <see cref="ArgumentsJson"/> is the call's input, redacted and capped.
/// </summary>
public sealed record ApprovalRecord(
    long Id,
    long JobId,
    int Attempt,
    string Tool,
    string Pattern,
    string ArgumentsJson,
    DateTimeOffset CreatedAt,
    DateTimeOffset? DecidedAt,
    string? Decision,
    string? DecidedBy,
    bool Always)
{
    public bool Pending => DecidedAt is null;
}

/// <summary>Records a pending call of attempt <see cref="Attempt"/>; fenced: nothing is written unless the job is running that attempt.</summary>
public sealed record ApprovalRequestParams(long JobId, int Attempt, string Tool, string Pattern, string ArgumentsJson, DateTimeOffset Now);

/// <summary>
/// Decides a pending call: <see cref="Decision"/> is allow or deny; <see cref="DecidedBy"/> names who (a token's user,
/// <c>dashboard</c>, <c>cli</c>, <c>timeout</c>).
/// </summary>
public sealed record ApprovalDecideParams(long Id, string Decision, bool Always, string DecidedBy, DateTimeOffset Now);

/// <param name="Applied">False when the call was already decided: <see cref="Approval"/> then shows the earlier decision.</param>
public sealed record ApprovalDecideResult(ApprovalRecord Approval, bool Applied);

/// <summary>Oldest first; one job's (<see cref="JobId"/>) or every job's; pending only unless <see cref="All"/>.</summary>
public sealed record ApprovalListParams(long? JobId = null, bool All = false, int Limit = 500);
