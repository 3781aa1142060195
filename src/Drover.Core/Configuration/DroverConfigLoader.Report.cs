using System.Globalization;

namespace Drover.Core.Configuration;

public static partial class DroverConfigLoader
{
    private static ReportConfig Report(TomlSection? s)
    {
        var d = new ReportConfig();
        if (s is null)
            return d;
        s.AllowOnly("uptime_target", "capacity_target", "days");
        return new ReportConfig
        {
            UptimeTarget = Share(s, "uptime_target") ?? d.UptimeTarget,
            CapacityTarget = Share(s, "capacity_target") ?? d.CapacityTarget,
            Days = (int)(s.Integer("days", 1, 366) ?? d.Days),
        };
    }

    /// <summary>A share as a number from 0 to 1 (0.95, not 95).</summary>
    private static double? Share(TomlSection s, string key)
    {
        if (!s.Table.TryGetValue(key, out var value))
            return null;
        double x = value switch
        {
            long n => n,
            double f => f,
            _ => throw s.Error(key, $"expected a number from 0 to 1 (like 0.95), got {TomlSection.Kind(value)}"),
        };
        if (!double.IsFinite(x) || x is < 0 or > 1)
            throw s.Error(key, $"{x.ToString(CultureInfo.InvariantCulture)} is out of range (a share from 0 to 1, like 0.95)");
        return x;
    }
}
