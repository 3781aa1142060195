namespace Drover.Core.Storage;

/// <summary>
/// One alert: a condition that needs a person, named by <see cref="Key"/> (<c>kind:subject</c>). <see cref="Message"/>
/// is one line naming the worker, job or provider and the reason. <see cref="Count"/> counts raises of the same key
/// folded into it during the cooldown. <see cref="AckedBy"/> names what acknowledged it when that was not a person.
/// </summary>
public sealed record AlertRecord(
    long Id,
    string Key,
    string Kind,
    string Subject,
    string Message,
    string DataJson,
    DateTimeOffset FirstAt,
    DateTimeOffset LastAt,
    int Count,
    DateTimeOffset? AckedAt,
    DateTimeOffset? DeliveredAt,
    string? Delivery,
    string? AckedBy = null);

/// <summary>
/// Raises an alert unless one with the same key was raised less than <see cref="Cooldown"/> before <see cref="Now"/>
/// (then that one's count and last time move on instead).
/// </summary>
public sealed record AlertRaiseParams(
    string Key, string Kind, string Subject, string Message, string DataJson, TimeSpan Cooldown, DateTimeOffset Now);

/// <param name="Raised">True when a new alert was stored (the caller delivers it); false when folded into one within the cooldown.</param>
public sealed record AlertRaiseResult(AlertRecord Alert, bool Raised);

/// <summary>Newest first; open (unacknowledged) only unless <see cref="All"/>.</summary>
public sealed record AlertListParams(bool All = false, int Limit = 100);

/// <param name="By">Null for a person's ack; otherwise what closed it (<c>resolved: job succeeded</c>), kept with the alert.</param>
public sealed record AlertAckParams(long Id, DateTimeOffset Now, string? By = null);

/// <summary>What the sinks said about one alert (one line per sink), once every sink has answered or given up.</summary>
public sealed record AlertDeliveredParams(long Id, string Delivery, DateTimeOffset Now);
