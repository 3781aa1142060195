using System.Runtime.InteropServices;

namespace Drover.Cli;

/// <summary>
/// Every file and directory this process (and what it starts) creates is owner-only: the home holds the token, secrets,
/// the SQLite database with its -wal and -shm files, run logs and worktrees, and not every writer of those lets us pick
/// a mode (SQLite, git, the agents). umask 077 at start-up covers them all.
/// </summary>
internal static partial class OwnerOnlyFiles
{
    private const uint GroupAndOther = 0x3F; // 077

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint Umask(uint mask);

    public static void Apply()
    {
        if (!OperatingSystem.IsWindows())
            _ = Umask(GroupAndOther); // the previous mask; umask cannot fail
    }
}
