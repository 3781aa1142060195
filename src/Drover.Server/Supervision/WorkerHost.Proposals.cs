using System.Text.Json;
using Drover.Core.Jobs;
using Drover.Core.Storage;

namespace Drover.Server.Supervision;

public sealed partial class WorkerHost
{
    /// <summary>
    /// What a succeeded attempt proposes (SPEC §12), recorded by the store with its completion in one transaction; an
    /// attempt that did not succeed proposes nothing. A proposal that is not a valid job spec is an event, never a failure.
    /// </summary>
    private async Task<ProposalBatch?> ProposalsAsync(JobRecord job, AttemptOutcome outcome, IReadOnlyList<string> proposals)
    {
        if (proposals.Count == 0)
            return null;
        if (outcome.Kind != AttemptOutcomeKind.Succeeded)
        {
            Log.ProposalsOfFailedAttempt(_logger, job.Id, job.Attempt, proposals.Count);
            return null;
        }

        if (_options.Proposals is not { } reader)
        {
            Log.ProposalsUnread(_logger, job.Id, proposals.Count);
            return null;
        }

        ProposalBatch batch;
        IReadOnlyList<Proposals.InvalidProposal> invalid;
        try
        {
            (batch, invalid) = reader.Read(job, proposals);
        }
        catch (Exception ex)
        {
            // Never the job's failure: its work is done; the proposals are lost with a line saying why.
            Log.LoopError(_logger, ex, "reading proposals");
            return null;
        }

        foreach (var bad in invalid)
        {
            Log.ProposalInvalid(_logger, job.Id, bad.Title, bad.Reason);
            try
            {
                var data = JsonSerializer.Serialize(new { attempt = job.Attempt, title = bad.Title, reason = bad.Reason });
                await _store.EventAppendAsync(new EventAppendParams("proposal.invalid", job.Id, _options.Name, data, _time.GetUtcNow()), CancellationToken.None);
            }
            catch (Exception ex)
            {
                Log.LoopError(_logger, ex, "proposal event");
            }
        }

        return batch.Drafts.Count == 0 ? null : batch;
    }
}
