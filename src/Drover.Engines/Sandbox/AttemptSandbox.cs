using System.Collections.Concurrent;
using Drover.Core.Configuration;
using Drover.Engines.Workspaces;

namespace Drover.Engines.Sandbox;

/// <summary>One attempt's command, and what its sandbox is built around.</summary>
/// <param name="RunDir">The attempt's run dir (prompt.md): visible read-only.</param>
/// <param name="RunHome">The agent's HOME: read-write.</param>
/// <param name="Gateway">The gateway's <c>/v1</c> URL when the attempt uses it (network <c>gateway</c> relays its port).</param>
public sealed record SandboxRun(IReadOnlyList<string> Argv, Workspace Workspace, string RunDir, string RunHome, SandboxNetwork Network, Uri? Gateway)
{
    /// <summary>The previous attempt's agent home when this one continues its session: the CLI's own records point there.</summary>
    public string? ResumeHome { get; init; }
}

/// <summary>
/// How this worker confines attempts (SPEC §13): whether it can (bubblewrap probed once per process), what each attempt
/// sees (the system read-only; its worktree, run home and the repository's git data read-write; nothing of Drover's home,
/// the user's home, <c>/home</c> or <c>/run</c> beyond what is bound back) and which network it gets.
/// </summary>
public sealed class AttemptSandbox
{
    private static readonly ConcurrentDictionary<string, string?> Probes = new(StringComparer.Ordinal);

    public AttemptSandbox(SandboxConfig config, string droverHome, string? gatewaySocket, string? unavailable)
    {
        Config = config;
        DroverHome = Path.TrimEndingDirectorySeparator(Path.GetFullPath(droverHome));
        GatewaySocket = gatewaySocket;
        Unavailable = config.Mode == SandboxMode.Off ? null : unavailable;
    }

    /// <summary>This host's sandbox for <paramref name="config"/>, probing bubblewrap once per process.</summary>
    public static AttemptSandbox ForHost(SandboxConfig config, string droverHome, string? gatewaySocket) =>
        new(config, droverHome, gatewaySocket, config.Mode == SandboxMode.Off ? null : Probe(config.Bubblewrap));

    /// <summary>Null when bubblewrap works here, else why not; asked once per process and binary.</summary>
    public static string? Probe(string bwrap) =>
        Probes.GetOrAdd(bwrap, b => Bubblewrap.ProbeAsync(b, CancellationToken.None).GetAwaiter().GetResult());

    public SandboxConfig Config { get; }

    public string DroverHome { get; }

    /// <summary>Kestrel's Unix socket for the gateway, bound into sandboxes whose network is <c>gateway</c>.</summary>
    public string? GatewaySocket { get; }

    /// <summary>Why this host cannot confine attempts (mode auto or required), or null.</summary>
    public string? Unavailable { get; }

    /// <summary>Attempts run in bubblewrap.</summary>
    public bool Confines => Config.Mode != SandboxMode.Off && Unavailable is null;

    /// <summary>The agent's environment is built from nothing (every mode but <c>off</c>, confined or not).</summary>
    public bool CleanEnvironment => Config.Mode != SandboxMode.Off;

    /// <summary>Why a worker must claim nothing: the sandbox is required and this host cannot provide it.</summary>
    public string? ClaimGate => Config.Mode == SandboxMode.Required && Unavailable is { } why
        ? $"[sandbox] mode = \"required\" but this host cannot confine attempts: {why}"
        : null;

    /// <summary>The attempt's network: the configured one (by default gateway when it uses the gateway, else open), never
    /// more open than config allows; the job's own choice may only narrow it.</summary>
    public SandboxNetwork NetworkFor(bool usesGateway, SandboxNetwork? job)
    {
        var configured = Config.Network ?? (usesGateway ? SandboxNetwork.Gateway : SandboxNetwork.Open);
        return job is { } j && j > configured ? j : configured;
    }

    /// <summary>The sandboxed argv, or why this attempt cannot run as configured.</summary>
    public (IReadOnlyList<string>? Argv, string? Error) Wrap(SandboxRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var argv = run.Argv.ToList();
        var mounts = new List<SandboxMount>();
        foreach (var dir in HiddenTrees())
            mounts.Add(new(MountKind.Hide, dir));
        if (Directory.Exists("/run/systemd/resolve"))
            mounts.Add(new(MountKind.ReadOnly, "/run/systemd/resolve", Optional: true)); // /etc/resolv.conf points here
        foreach (var key in RootOnlySecrets())
            mounts.Add(new(MountKind.Blank, key));

        // The engine and its runtime, when they are installed somewhere hidden (an npm prefix in the user's home).
        foreach (var dir in EngineTrees(argv))
            mounts.Add(new(MountKind.ReadOnly, dir));
        foreach (var path in Config.ReadOnly)
            mounts.Add(new(MountKind.ReadOnly, path, Optional: true));
        foreach (var path in Config.ReadWrite)
            mounts.Add(new(MountKind.ReadWrite, path, Optional: true));

        mounts.Add(new(MountKind.ReadOnly, run.RunDir));
        mounts.Add(new(MountKind.ReadWrite, run.RunHome));
        if (run.ResumeHome is { } previous && Directory.Exists(previous))
            mounts.Add(new(MountKind.ReadWrite, previous));
        if (run.Workspace.IsGit && GitCommonDir(run.Workspace.Root) is { } gitDir)
        {
            // The agent may commit (objects, refs, its worktree's index) but not plant hooks or config that would run
            // later outside the sandbox.
            mounts.Add(new(MountKind.ReadWrite, gitDir));
            mounts.Add(new(MountKind.ReadOnly, Path.Combine(gitDir, "config"), Optional: true));
            mounts.Add(new(MountKind.ReadOnly, Path.Combine(gitDir, "hooks"), Optional: true));
        }

        mounts.Add(new(MountKind.ReadWrite, run.Workspace.Root));
        if (run.Network == SandboxNetwork.Gateway)
        {
            if (run.Gateway is not { } gateway)
                return (null, "network = \"gateway\" but this attempt has no gateway (no provider for its engine, or no drover serve running): set [sandbox] network = \"open\" or configure a provider");
            if (GatewaySocket is not { } socket || !File.Exists(socket))
                return (null, $"network = \"gateway\" but the gateway's socket {GatewaySocket ?? "(none)"} is missing: is drover serve running for this home?");
            if (!File.Exists(Relay.Perl))
                return (null, $"network = \"gateway\" needs {Relay.Perl} to relay the gateway into the sandbox (apt-get install perl-base)");
            mounts.Add(new(MountKind.ReadWrite, socket));
            argv = [.. Relay.Command(gateway.Port, socket), .. argv];
        }

        var layout = new SandboxLayout(run.Workspace.Directory, mounts, Network: run.Network == SandboxNetwork.Open);
        return (Bubblewrap.Wrap(Config.Bubblewrap, layout, argv), null);
    }

    /// <summary>Trees the agent must not see: Drover's home, the user's home, every home, runtime sockets (Docker, D-Bus,
    /// PostgreSQL, agents of ssh and gpg live under /run), and other scratch space.</summary>
    private IEnumerable<string> HiddenTrees()
    {
        var home = Environment.GetEnvironmentVariable("HOME");
        string[] dirs = ["/home", "/run", "/var/tmp", "/mnt", "/media", "/srv", DroverHome];
        return dirs.Concat(string.IsNullOrEmpty(home) || home == "/" ? [] : [Path.TrimEndingDirectorySeparator(home)])
            .Distinct(StringComparer.Ordinal)
            .Where(Directory.Exists)
            .Order(StringComparer.Ordinal); // parents before children
    }

    /// <summary>Files only root can read; an agent running as root (without capabilities) would still own them.</summary>
    private static IEnumerable<string> RootOnlySecrets()
    {
        if (!Environment.IsPrivilegedProcess)
            yield break;
        yield return "/etc/shadow";
        yield return "/etc/gshadow";
        if (!Directory.Exists("/etc/ssh"))
            yield break;
        foreach (var key in Directory.EnumerateFiles("/etc/ssh", "ssh_host_*_key"))
            yield return key;
    }

    /// <summary>
    /// Read-only trees that make a hidden engine runnable: the resolved binary's npm tree (or its own directory), and
    /// <c>node</c>'s install when that is hidden too. argv[0] becomes the resolved path, so no hidden symlink is needed.
    /// </summary>
    private IEnumerable<string> EngineTrees(List<string> argv)
    {
        var hidden = HiddenTrees().ToList();
        bool IsHidden(string path) => hidden.Any(h => path.StartsWith(h + "/", StringComparison.Ordinal));
        var trees = new List<string>();
        if (Path.IsPathFullyQualified(argv[0]) && IsHidden(argv[0]) && File.Exists(argv[0]))
        {
            var real = RealPath(argv[0]);
            argv[0] = real;
            trees.AddRange(InstallTrees(real));
        }

        var node = FindOnPath("node");
        if (node is not null && IsHidden(node))
            trees.Add(Path.GetDirectoryName(Path.GetDirectoryName(RealPath(node))!)!); // <prefix>/bin/node → <prefix>
        return trees.Where(t => IsHidden(t + "/x"));
    }

    /// <summary>
    /// What an installed program needs besides itself: an npm install's whole <c>node_modules</c>; a Python virtualenv
    /// (pipx) whole; a <c>pip --user</c> script's <c>bin</c> and the <c>lib</c> beside it; else its own directory.
    /// </summary>
    internal static IEnumerable<string> InstallTrees(string real)
    {
        var at = real.IndexOf("/node_modules/", StringComparison.Ordinal);
        if (at > 0)
            return [real[..(at + "/node_modules".Length)]];
        var dir = Path.GetDirectoryName(real)!;
        var prefix = Path.GetDirectoryName(dir);
        if (Path.GetFileName(dir) != "bin" || prefix is null)
            return [dir];
        if (File.Exists(Path.Combine(prefix, "pyvenv.cfg")))
            return [prefix];
        var lib = Path.Combine(prefix, "lib");
        return Directory.Exists(lib) ? [dir, lib] : [dir];
    }

    private static string RealPath(string path)
    {
        try
        {
            return new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);
        }
        catch (IOException)
        {
            return Path.GetFullPath(path);
        }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    /// <summary>The repository's shared git dir, read from the worktree's <c>.git</c> file (<c>gitdir: …/worktrees/N</c>).</summary>
    internal static string? GitCommonDir(string worktree)
    {
        var dotGit = Path.Combine(worktree, ".git");
        if (!File.Exists(dotGit))
            return null;
        var line = File.ReadLines(dotGit).FirstOrDefault(l => l.StartsWith("gitdir:", StringComparison.Ordinal));
        if (line is null)
            return null;
        var gitDir = Path.GetFullPath(line["gitdir:".Length..].Trim(), worktree);
        var common = Path.Combine(gitDir, "commondir");
        return File.Exists(common)
            ? Path.TrimEndingDirectorySeparator(Path.GetFullPath(File.ReadAllText(common).Trim(), gitDir))
            : Path.TrimEndingDirectorySeparator(gitDir);
    }
}
