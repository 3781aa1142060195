using System.Diagnostics;

namespace Drover.Engines.Sandbox;

/// <summary>How one path appears inside the sandbox.</summary>
public enum MountKind
{
    /// <summary>An empty, writable tmpfs: nothing of the host's tree below it shows.</summary>
    Hide,

    /// <summary>The host path, read-only.</summary>
    ReadOnly,

    /// <summary>The host path, read-write.</summary>
    ReadWrite,

    /// <summary>An empty read-only file in place of a host file (a root-readable key, say).</summary>
    Blank,
}

/// <summary>One mount, applied in order after the base layout: later mounts go over earlier ones.</summary>
/// <param name="Optional">A missing host path is skipped instead of failing the sandbox.</param>
public sealed record SandboxMount(MountKind Kind, string Path, bool Optional = false);

/// <summary>What an attempt's sandbox lets the agent reach (SPEC §13).</summary>
/// <param name="Workspace">The agent's working directory (inside a read-write mount).</param>
/// <param name="Mounts">Applied in order over the read-only system: hidden trees first, then what is bound back.</param>
/// <param name="Network">False: a network namespace of its own with only loopback.</param>
public sealed record SandboxLayout(string Workspace, IReadOnlyList<SandboxMount> Mounts, bool Network);

/// <summary>
/// The bubblewrap command line that confines one attempt: the system read-only, <c>/dev</c>, a fresh <c>/proc</c> of its
/// own PID namespace (it cannot see or signal Drover), a private <c>/tmp</c>, no capabilities (root inside cannot undo a
/// mount), then the layout's mounts in order. It stays in Drover's process group, so the runner's SIGTERM / SIGKILL of
/// the group still reaches every sandboxed process, and dies with its parent.
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
        // Root keeps every capability in a bubblewrap sandbox unless told otherwise, and could unmount what hides Drover.
        if (Environment.IsPrivilegedProcess)
            a.AddRange(["--cap-drop", "ALL"]);
        if (!layout.Network)
            a.Add("--unshare-net");
        foreach (var m in layout.Mounts)
        {
            switch (m.Kind)
            {
                case MountKind.Hide when Directory.Exists(m.Path):
                    a.AddRange(["--tmpfs", m.Path]);
                    break;
                case MountKind.ReadOnly:
                    a.AddRange([m.Optional ? "--ro-bind-try" : "--ro-bind", m.Path, m.Path]);
                    break;
                case MountKind.ReadWrite:
                    a.AddRange([m.Optional ? "--bind-try" : "--bind", m.Path, m.Path]);
                    break;
                case MountKind.Blank when File.Exists(m.Path):
                    a.AddRange(["--ro-bind", "/dev/null", m.Path]);
                    break;
            }
        }

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
        string[] args = ["--die-with-parent", "--unshare-pid", "--unshare-net", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"];
        if (Environment.IsPrivilegedProcess)
            args = [.. args, "--cap-drop", "ALL"];
        foreach (var arg in args.Append("--").Append("/bin/true"))
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
