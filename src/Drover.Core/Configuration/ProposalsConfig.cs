namespace Drover.Core.Configuration;

/// <summary>
/// <c>[proposals]</c>: how jobs proposed by other jobs' <c>DROVER_PROPOSE</c> lines are taken in (SPEC §12).
/// </summary>
public sealed record ProposalsConfig
{
    /// <summary>A rejected proposal's key is not proposed again for this long.</summary>
    public TimeSpan Remember { get; init; } = TimeSpan.FromDays(30);

    /// <summary>At most this many proposals become jobs per UTC day, fleet-wide; the rest are dropped.</summary>
    public int MaxPerDay { get; init; } = 20;
}

public static partial class DroverConfigLoader
{
    private static ProposalsConfig Proposals(TomlSection? s)
    {
        var d = new ProposalsConfig();
        if (s is null)
            return d;
        s.AllowOnly("remember", "max_per_day");
        return new ProposalsConfig
        {
            Remember = s.Duration("remember", TimeSpan.Zero, TimeSpan.FromDays(3650)) ?? d.Remember,
            MaxPerDay = (int)(s.Integer("max_per_day", 0, 100_000) ?? d.MaxPerDay),
        };
    }
}
