namespace Drover.Core;

/// <summary>Root of Drover's own exceptions. Anything else escaping a boundary is a bug.</summary>
public class DroverException : Exception
{
    public DroverException() { }
    public DroverException(string message) : base(message) { }
    public DroverException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A storage failure; <see cref="IsTransient"/> says whether retrying may help.</summary>
public sealed class StorageException : DroverException
{
    public StorageException(string message, bool isTransient, Exception? inner = null)
        : base(message, inner!) => IsTransient = isTransient;

    public bool IsTransient { get; }
}

/// <summary>A worker's write was fenced: its lease (epoch) is no longer current.</summary>
public sealed class LeaseLostException : DroverException
{
    public LeaseLostException(long jobId, long epoch)
        : base($"lease on job {jobId} at epoch {epoch} is no longer held") { JobId = jobId; Epoch = epoch; }

    public long JobId { get; }
    public long Epoch { get; }
}

/// <summary>
/// A job spec was rejected. <see cref="Field"/> names the offending key when there is one; <see cref="Errors"/>
/// holds every problem found (the first is this exception's own message and field).
/// </summary>
public sealed class JobSpecException : DroverException
{
    public JobSpecException(string? field, string message) : base(message)
    {
        Field = field;
        Errors = [new JobSpecError(field, message)];
    }

    /// <summary>Several problems at once; <paramref name="errors"/> must not be empty.</summary>
    public JobSpecException(IReadOnlyList<JobSpecError> errors) : base(errors[0].Message)
    {
        Field = errors[0].Field;
        Errors = errors;
    }

    public string? Field { get; }

    public IReadOnlyList<JobSpecError> Errors { get; }
}

/// <summary>One rejected field of a spec and the rule it broke.</summary>
public sealed record JobSpecError(string? Field, string Message);

/// <summary>A request names a job (or worker) that does not exist.</summary>
public sealed class NotFoundException : DroverException
{
    public NotFoundException(string message) : base(message) { }
}

/// <summary>A request conflicts with the current state (HTTP 409, CLI exit 1).</summary>
public sealed class ConflictException : DroverException
{
    public ConflictException(string message, long? jobId = null, string? state = null) : base(message)
    {
        JobId = jobId;
        State = state;
    }

    public long? JobId { get; }
    public string? State { get; }
}
