using System.Diagnostics;

namespace Drover.Engines.Tests.Support;

/// <summary>Looks at processes by pid through /proc, the way an operator would check for orphans.</summary>
public static class Pids
{
    /// <summary>True while <paramref name="pid"/> exists and is not a zombie (PID 1 here may never reap orphans).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The process group of <paramref name="pid"/> from /proc, or null when it is gone.</summary>
    public static int? ProcessGroup(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Live (not zombie) processes whose process group is <paramref name="pgid"/>.</summary>
    public static IReadOnlyList<int> LiveGroupMembers(int pgid)
    {
        var members = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(System.IO.Path.GetFileName(dir), out var pid) && ProcessGroup(pid) == pgid && IsAlive(pid))
            {
                members.Add(pid);
            }
        }

        return members;
    }

    /// <summary>Reads a pid a script wrote to <paramref name="path"/>, waiting for the write to land.</summary>
    public static async Task<int> ReadPidFileAsync(string path)
    {
        var found = await Poll.UntilAsync(
            () => File.Exists(path) && File.ReadAllText(path).EndsWith('\n'), TimeSpan.FromSeconds(10));
        found.ShouldBeTrue($"the script never wrote {path}");
        return int.Parse(File.ReadAllText(path).Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Kills a process this test started (by pid) if it is still there; used in finally blocks.</summary>
    public static void KillIfAlive(int pid)
    {
        if (pid <= 0 || !IsAlive(pid))
        {
            return;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
        catch (InvalidOperationException)
        {
        }
    }
}
