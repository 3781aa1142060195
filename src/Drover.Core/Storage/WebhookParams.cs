namespace Drover.Core.Storage;

/// <summary>
/// One forge webhook delivery (SPEC §12), kept to answer a redelivery of the same <see cref="DeliveryId"/> as a
/// duplicate. <see cref="Outcome"/>: <c>received</c> while it is handled, then what handling did (<c>created</c>,
/// <c>superseded</c>, <c>cancelled</c>, <c>ignored</c>, …) or <c>failed</c> (a redelivery is then handled again).
/// </summary>
public sealed record WebhookDeliveryRecord(string Source, string DeliveryId, string Event, DateTimeOffset ReceivedAt, string Outcome);

/// <summary>Takes a delivery for handling: <see cref="Source"/> is the forge kind (<c>github</c>, <c>gitea</c>).</summary>
public sealed record WebhookDeliveryBeginParams(string Source, string DeliveryId, string Event, DateTimeOffset Now);

/// <summary>Records what handling a taken delivery did.</summary>
public sealed record WebhookDeliveryEndParams(string Source, string DeliveryId, string Outcome);
