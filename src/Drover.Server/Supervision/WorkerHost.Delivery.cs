using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Core.Storage;

namespace Drover.Server.Supervision;

public sealed partial class WorkerHost
{
    /// <summary>
    /// What the job's spec asks for its branch (SPEC §12), recorded with the attempt's completion with this machine and
    /// home: the place whose repository or mirror holds the branch, the only one that can push it.
    /// </summary>
    private DeliveryRequest? DeliveryAsk(JobRecord job)
    {
        try
        {
            var spec = JobSpecJson.Deserialize(job.SpecJson);
            return new DeliveryRequest(JobSpecJson.DeliverName(spec.Deliver), Delivery.Deliverer.HostOf(_options.Home.Root), spec.DeliverDraftOnFailure);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>Delivers this host's due deliveries one at a time, waking on store changes and at least every few seconds.</summary>
    private async Task DeliveryLoopAsync(CancellationToken stopping)
    {
        if (_options.Deliverer is not { } deliverer)
            return;
        await Task.Yield();
        var starting = true;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                // The first claim frees what a killed process of this home held, so its delivery resumes now, not at lease end.
                while (!stopping.IsCancellationRequested && await deliverer.DeliverNextAsync(_options.DeliveryLease, stopping, releaseHeld: starting))
                    starting = false;
                starting = false;

                await _store.WaitForChangeAsync(TimeSpan.FromSeconds(2), stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.DeliveryLoopError(_logger, ex);
                await WaitQuietlyAsync(Task.Delay(TimeSpan.FromSeconds(5), _time, stopping));
            }
        }
    }
}
