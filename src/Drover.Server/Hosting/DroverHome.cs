using System.Security.Cryptography;

namespace Drover.Server.Hosting;

/// <summary>The data dir layout of SPEC §10: config, token, database, runs, worktrees.</summary>
public sealed class DroverHome
{
    public DroverHome(string root) => Root = Path.GetFullPath(root);

    public string Root { get; }
    public string ConfigPath => Path.Combine(Root, "drover.toml");
    public string TokenPath => Path.Combine(Root, "token");
    public string SecretsPath => Path.Combine(Root, "secrets");
    public string DatabasePath => Path.Combine(Root, "drover.db");
    public string RunsDir => Path.Combine(Root, "runs");
    public string WorkDir => Path.Combine(Root, "work");

    /// <summary>Written by a running `serve`: where to reach it. Removed on clean exit.</summary>
    public string ServerInfoPath => Path.Combine(Root, "server.json");

    /// <summary>The gateway's Unix socket (only <c>/v1</c>), bound into sandboxes whose network is <c>gateway</c>.</summary>
    public string GatewaySocketPath => Path.Combine(Root, "gateway.sock");
    /// <summary>The dashboard's session generation and redeemed login codes (0600).</summary>
    public string DashboardSessionsPath => Path.Combine(Root, "dashboard-sessions");

    /// <summary>Held (flock) by the one `serve` of this home.</summary>
    public string ServeLockPath => Path.Combine(Root, "serve.lock");

    /// <summary>--home, else DROVER_HOME, else ~/.drover.</summary>
    public static DroverHome Resolve(string? explicitHome)
    {
        var root = explicitHome
            ?? Environment.GetEnvironmentVariable("DROVER_HOME")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".drover");
        return new DroverHome(root);
    }

    private const UnixFileMode OwnerOnlyDir = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>The mode the home had when this process found it open to other users (and tightened it); else null.</summary>
    public UnixFileMode? TightenedFrom { get; private set; }

    /// <summary>
    /// Creates the home and its run and work dirs owner-only (0700): they hold the token, secrets, database and every
    /// job's logs. A home found open to others is closed, and its secret files with it (<see cref="TightenedFrom"/>).
    /// </summary>
    public void EnsureCreated()
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(Root);
            Directory.CreateDirectory(RunsDir);
            Directory.CreateDirectory(WorkDir);
            return;
        }

        Directory.CreateDirectory(Root, OwnerOnlyDir);
        var mode = File.GetUnixFileMode(Root);
        if ((mode & GroupOrOther) != 0 && TryCloseToOthers(Root))
        {
            foreach (var file in (string[])[ConfigPath, TokenPath, SecretsPath, DatabasePath, DatabasePath + "-wal", DatabasePath + "-shm", ServerInfoPath])
            {
                if (File.Exists(file))
                    TryCloseToOthers(file);
            }

            TightenedFrom ??= mode;
        }

        foreach (var dir in (string[])[RunsDir, WorkDir])
        {
            Directory.CreateDirectory(dir, OwnerOnlyDir);
            TryCloseToOthers(dir);
        }
    }

    /// <summary>Clears the group and other bits; false when this user may not (another owner: doctor says so).</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static bool TryCloseToOthers(string path)
    {
        try
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & GroupOrOther) != 0)
                File.SetUnixFileMode(path, mode & ~GroupOrOther);
            return true;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return false;
        }
    }

    /// <summary>A mode as ls -l's octal digits, like 0755.</summary>
    public static string FormatMode(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8);

    /// <summary>A shorter token (an empty or truncated file) would open the API to anyone; refused, never served.</summary>
    public const int MinTokenLength = 32;

    /// <summary>The API bearer token, created with mode 0600 on first use.</summary>
    public string EnsureToken()
    {
        EnsureCreated();
        if (File.Exists(TokenPath))
        {
            var existing = File.ReadAllText(TokenPath).Trim();
            if (existing.Length < MinTokenLength)
                throw new Core.DroverException(
                    $"the API token in {TokenPath} is {existing.Length} characters, under {MinTokenLength}: an empty or short token " +
                    "would let anyone in. Delete the file and run `drover init` to make a new one.");
            return existing;
        }

        var token = "drv_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        WriteSecretFile(TokenPath, token + "\n");
        return token;
    }

    public string? ReadToken() => File.Exists(TokenPath) ? File.ReadAllText(TokenPath).Trim() : null;

    /// <summary>Creates a file readable only by its owner (0600) before any secret byte is written.</summary>
    public static void WriteSecretFile(string path, string contents)
    {
        var tmp = path + ".tmp";
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using (var fs = new FileStream(tmp, options))
        {
            using (var w = new StreamWriter(fs, leaveOpen: true))
                w.Write(contents);
            // Durable before the rename makes it the file: a crash never leaves an empty token or secrets file.
            fs.Flush(flushToDisk: true);
        }

        File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(tmp, path, overwrite: true);
    }
}
