using System.Globalization;

namespace Drover.Server.Supervision;

/// <summary>
/// What the claim gates measure (SPEC §5): available memory (Linux <c>MemAvailable</c>) and free space on the filesystem
/// of a directory. Null when the host does not say. The readings can be replaced (a test simulating a small host).
/// </summary>
public sealed class HostResources(Func<long?>? freeMemory = null, Func<string, long?>? freeDisk = null)
{
    public static readonly HostResources System = new();

    public long? FreeMemoryBytes() => (freeMemory ?? ReadMemAvailable).Invoke();

    public long? FreeDiskBytes(string path) => (freeDisk ?? ReadFreeDisk).Invoke(path);

    /// <summary>The kernel's estimate of memory available for new work without swapping; null off Linux.</summary>
    public static long? ReadMemAvailable()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                    continue;
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kib) ? kib * 1024 : null;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>Bytes an unprivileged writer may still use on the filesystem holding <paramref name="path"/>.</summary>
    public static long? ReadFreeDisk(string path)
    {
        try
        {
            var existing = Path.GetFullPath(path);
            while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
                existing = parent;
            return new DriveInfo(existing).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Why a worker must not claim now, or null: the memory gate, then the disk gate.</summary>
    public string? Gate(long minFreeMemory, long minFreeDisk, string home)
    {
        if (minFreeMemory > 0 && FreeMemoryBytes() is { } mem && mem < minFreeMemory)
            return $"free memory {Size(mem)} < {Size(minFreeMemory)} (min_free_memory)";
        if (minFreeDisk > 0 && FreeDiskBytes(home) is { } disk && disk < minFreeDisk)
            return $"free disk {Size(disk)} < {Size(minFreeDisk)} on {home} (min_free_disk)";
        return null;
    }

    /// <summary>Binary units, as the settings take them: <c>310 MiB</c>, <c>1.5 GiB</c>.</summary>
    public static string Size(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return (unit >= 3 ? value.ToString("0.#", CultureInfo.InvariantCulture) : value.ToString("0", CultureInfo.InvariantCulture)) + " " + units[unit];
    }
}
