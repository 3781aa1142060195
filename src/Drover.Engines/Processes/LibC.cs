using System.Runtime.InteropServices;

namespace Drover.Engines.Processes;

/// <summary>The few libc calls .NET does not expose: signalling a whole process group or session.</summary>
internal static partial class LibC
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int Esrch = 3;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int sig);

    [LibraryImport("libc", EntryPoint = "getpgid", SetLastError = true)]
    private static partial int GetPgidNative(int pid);

    /// <summary>kill(2); a negative <paramref name="pid"/> addresses the process group -pid.
    /// Returns 0 or the errno (ESRCH: nothing left to signal).</summary>
    public static int Kill(int pid, int signal) =>
        KillNative(pid, signal) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>The process group of <paramref name="pid"/>, or -1 when it does not exist.</summary>
    public static int GetPgid(int pid) => GetPgidNative(pid);

    /// <summary>
    /// Signals group <paramref name="sid"/> and then every other process of session <paramref name="sid"/>:
    /// a descendant that moved to a group of its own (GNU timeout, a shell with job control) is still in the
    /// session that setsid made, and must die with the rest.
    /// </summary>
    public static void KillSession(int sid, int signal)
    {
        Kill(-sid, signal);
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(System.IO.Path.GetFileName(dir), out var pid) && pid != sid
                && ReadStat(pid) is { } stat && stat.Session == sid && stat.Pgrp != sid && stat.State is not ('Z' or 'X'))
            {
                Kill(pid, signal);
            }
        }
    }

    /// <summary>True while a live (not zombie) process is in session <paramref name="sid"/> (its group included).</summary>
    public static bool SessionHasLiveMembers(int sid)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(System.IO.Path.GetFileName(dir), out var pid)
                && ReadStat(pid) is { } stat && (stat.Session == sid || stat.Pgrp == sid) && stat.State is not ('Z' or 'X'))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True while a live (not zombie) process is in group <paramref name="pgid"/>.
    /// Zombies are ignored because PID 1 in a container may never reap re-parented grandchildren.</summary>
    public static bool GroupHasLiveMembers(int pgid)
    {
        if (Kill(-pgid, 0) == Esrch)
        {
            return false;
        }

        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(System.IO.Path.GetFileName(dir), out var pid)
                && ReadStat(pid) is { } stat && stat.Pgrp == pgid && stat.State is not ('Z' or 'X'))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True while <paramref name="pid"/> exists and is not a zombie.</summary>
    public static bool ProcessAlive(int pid) =>
        Kill(pid, 0) != Esrch && ReadStat(pid) is { } stat && stat.State is not ('Z' or 'X');

    /// <summary>State and process group from /proc/&lt;pid&gt;/stat, or null when the process is gone.</summary>
    private static (char State, int Pgrp, int Session)? ReadStat(int pid)
    {
        try
        {
            // "pid (comm) S ppid pgrp ...": comm may contain spaces and parentheses, so parse after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], int.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture),
                int.Parse(fields[3], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
