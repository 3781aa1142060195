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

    public void EnsureCreated()
    {
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(RunsDir);
        Directory.CreateDirectory(WorkDir);
    }

    /// <summary>The API bearer token, created with mode 0600 on first use.</summary>
    public string EnsureToken()
    {
        EnsureCreated();
        if (File.Exists(TokenPath))
            return File.ReadAllText(TokenPath).Trim();

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
        using (var w = new StreamWriter(fs))
            w.Write(contents);
        File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(tmp, path, overwrite: true);
    }
}
