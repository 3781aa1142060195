namespace Drover.Core.Specs;

/// <summary>
/// Collects every rejection of one spec so the submitter sees all of them at once instead of fixing
/// them one submit at a time. A reader that fails yields its fallback and parsing goes on.
/// </summary>
internal sealed class SpecErrors
{
    private readonly List<JobSpecError> _errors = [];

    public bool Any => _errors.Count > 0;

    public T Try<T>(Func<T> read, T fallback)
    {
        try
        {
            return read();
        }
        catch (JobSpecException e)
        {
            Add(e);
            return fallback;
        }
    }

    public void Try(Action check)
    {
        try
        {
            check();
        }
        catch (JobSpecException e)
        {
            Add(e);
        }
    }

    public void Add(JobSpecException e) => _errors.AddRange(e.Errors);

    /// <summary>Throws one exception carrying every problem found so far.</summary>
    public void ThrowIfAny()
    {
        if (_errors.Count > 0)
            throw new JobSpecException([.. _errors]);
    }
}
