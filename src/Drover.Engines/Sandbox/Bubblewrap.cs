using System.Diagnostics;

namespace Drover.Engines.Sandbox;

/// <summary>What an attempt's sandbox lets the agent reach (SPEC §13).</summary>
/// <param name="Workspace">The job's worktree: read-write, and the working directory.</param>
/// <param name="RunHome">The attempt's own HOME (login files copied in): read-write.</param>
/// <param name="Hidden">Directories replaced by an empty tmpfs (Drover's home, the user's home): nothing under them is
/// visible except what is bound again below.</param>
/// <param name="ReadOnly">Extra paths visible read-only (config <c>[sandbox] read_only</c>).</param>
/// <param name="ReadWrite">Extra paths visible read-write (config <c>[sandbox] read_write</c>).</param>
/// <param name="Network">False: a network namespace of its own with only loopback.</param>
public sealed record SandboxLayout(
    string Workspace,
    string RunHome,
    IReadOnlyList<string> Hidden,
    IReadOnlyList<string> ReadOnly,
    IReadOnlyList<string> ReadWrite,
    bool Network);

/// <summary>
/// The bubblewrap command line that confines one attempt: the system read-only, <c>/dev</c>, a fresh <c>/proc</c> of its
/// own PID namespace (it cannot see or signal Drover), a private <c>/tmp</c>, the hidden directories empty, and only the
/// workspace, run home and configured paths bound back. It stays in Drover's process group, so the runner's SIGTERM /
/// SIGKILL of the group still reaches every sandboxed process, and dies with its parent.
/// </summary>
public static class Bubblewrap
{
    public const string DefaultPath = "/usr/bin/bwrap";

    public static IReadOnlyList<string> Wrap(string bwrap, SandboxLayout layout, IReadOnlyList<string> argv)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentOutOfRangeException.ThrowIfZero(argv.Count);
        var a = new List<string>
        {
            bwrap, "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
        };
        if (!layout.Network)
            a.Add("--unshare-net");
        // Later mounts go over earlier ones: hide whole trees first, then bind back the few paths the agent may use.
        foreach (var dir in layout.Hidden.Where(Directory.Exists).Order(StringComparer.Ordinal))
            a.AddRange(["--tmpfs", dir]);
        foreach (var path in layout.ReadOnly)
            a.AddRange(["--ro-bind", path, path]);
        foreach (var path in layout.ReadWrite.Append(layout.RunHome).Append(layout.Workspace))
            a.AddRange(["--bind", path, path]);
        a.AddRange(["--chdir", layout.Workspace, "--"]);
        a.AddRange(argv);
        return a;
    }

    /// <summary>Null when this host can run a sandbox, else why not (for <c>doctor</c>, <c>why</c> and <c>mode = "auto"</c>).</summary>
    public static async Task<string?> ProbeAsync(string bwrap, CancellationToken ct)
    {
        if (!File.Exists(bwrap))
            return $"{bwrap} is missing (apt-get install bubblewrap)";
        var psi = new ProcessStartInfo(bwrap)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["--die-with-parent", "--unshare-pid", "--unshare-net", "--ro-bind", "/", "/", "--dev", "/dev",
                     "--proc", "/proc", "--tmpfs", "/tmp", "--", "/bin/true"])
            psi.ArgumentList.Add(arg);
        try
        {
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync(ct);
            await p.WaitForExitAsync(ct);
            return p.ExitCode == 0 ? null : $"bubblewrap cannot create namespaces here: {(await stderr).Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"{bwrap} cannot run: {e.Message}";
        }
    }
}
