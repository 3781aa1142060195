using System.Collections.Concurrent;
using System.Diagnostics;

namespace Drover.IntegrationTests.RealClis;

/// <summary>
/// Real agent CLIs from npm at the versions RECIPES.md tested, installed once into a cache directory
/// (<c>DROVER_TEST_CLI_CACHE</c>, default <c>~/.cache/drover-test-clis</c>) and reused by later runs.
/// Installing needs the npm registry; running them afterwards needs nothing but loopback.
/// </summary>
public static class AgentClis
{
    public const string CodexPackage = "@openai/codex@0.169.0";
    public const string ClaudePackage = "@anthropic-ai/claude-code@2.1.330";

    private static readonly ConcurrentDictionary<string, Lazy<Task<string>>> Installs = new(StringComparer.Ordinal);

    public static string CacheRoot =>
        Environment.GetEnvironmentVariable("DROVER_TEST_CLI_CACHE") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "drover-test-clis");

    /// <summary>The path of <paramref name="binary"/> from <paramref name="package"/>, installing it on first use.</summary>
    public static Task<string> BinaryAsync(string package, string binary) =>
        Installs.GetOrAdd(package + " " + binary, _ => new Lazy<Task<string>>(() =>
            InstallAsync([package], package.Replace('/', '+'), dir => Path.Combine(dir, "node_modules", ".bin", binary)))).Value;

    /// <summary>The <c>node_modules</c> directory holding <paramref name="packages"/> (libraries, for NODE_PATH), installing them on first use.</summary>
    public static Task<string> LibrariesAsync(params string[] packages) =>
        Installs.GetOrAdd(string.Join(' ', packages), key => new Lazy<Task<string>>(() =>
            InstallAsync(packages, "lib+" + key.Replace('/', '+').Replace(' ', '+'), dir => Path.Combine(dir, "node_modules")))).Value;

    /// <summary>Why npm cannot install here (not on PATH), or null when it is there.</summary>
    public static string? NpmMissing()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        bool Has(string tool) => path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, tool)));
        return Has("npm") && Has("node") ? null : "npm and node are needed on PATH to install the official client packages";
    }

    private static async Task<string> InstallAsync(string[] packages, string dirName, Func<string, string> installed)
    {
        var package = string.Join(' ', packages);
        var dir = Path.Combine(CacheRoot, dirName);
        var bin = installed(dir);
        var marker = Path.Combine(dir, ".installed");
        if (File.Exists(marker) && Path.Exists(bin))
            return bin;

        Directory.CreateDirectory(dir);
        var psi = new ProcessStartInfo("npm")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "install", "--prefix", dir, "--no-audit", "--no-fund", "--loglevel", "error" }.Concat(packages))
            psi.ArgumentList.Add(a);
        using var npm = Process.Start(psi)!;
        npm.StandardInput.Close();
        var stdout = npm.StandardOutput.ReadToEndAsync();
        var stderr = npm.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await npm.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            npm.Kill(entireProcessTree: true);
            throw new TimeoutException($"npm install {package} took over 5 minutes");
        }

        if (npm.ExitCode != 0 || !Path.Exists(bin))
            throw new InvalidOperationException($"npm install {package} failed (exit {npm.ExitCode}): {await stderr}{await stdout}");
        await File.WriteAllTextAsync(marker, package);
        return bin;
    }
}
