using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Drover.Core.Configuration;
using Drover.Engines.Agents;
using Drover.Server.Hosting;
using Drover.Server.Supervision;

namespace Drover.Cli.Commands;

/// <summary>One line of <c>drover doctor</c>: <c>ok</c>, <c>warn</c> (works, but look) or <c>fail</c> (will not work).</summary>
public sealed record DoctorCheck(string Name, string Status, string Detail)
{
    public const string OkStatus = "ok";
    public const string WarnStatus = "warn";
    public const string FailStatus = "fail";

    public static DoctorCheck Ok(string name, string detail) => new(name, OkStatus, detail);

    public static DoctorCheck Warn(string name, string detail) => new(name, WarnStatus, detail);

    public static DoctorCheck Fail(string name, string detail) => new(name, FailStatus, detail);
}

/// <summary>
/// What would stop this machine from running jobs: the home dir, drover.toml, the token's mode, the store, git, and
/// each agent CLI (found, answers <c>--version</c>, the version Drover's driver was tested with). Read-only apart
/// from a probe file in the home and the store's own migrations.
/// </summary>
public static class Doctor
{
    public static async Task<IReadOnlyList<DoctorCheck>> RunAsync(DroverHome home, string? store, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(home);
        var (config, configCheck) = await LoadConfigAsync(home, ct);
        return
        [
            CheckHome(home),
            configCheck,
            .. CheckResources(home, config),
            CheckToken(home),
            CheckSecrets(home),
            await CheckStoreAsync(home, store, ct),
            await CheckGitAsync(ct),
            CheckSandbox(home, config),
            .. CheckForges(home, config),
            .. await CheckEnginesAsync(config, ct),
        ];
    }

    private static DoctorCheck CheckHome(DroverHome home)
    {
        if (!Directory.Exists(home.Root))
            return DoctorCheck.Fail("home", $"{home.Root} does not exist (drover init creates it)");
        var probe = Path.Combine(home.Root, $".doctor-{Environment.ProcessId}");
        try
        {
            File.WriteAllText(probe, "");
            File.Delete(probe);
            const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
            if (!OperatingSystem.IsWindows() && File.GetUnixFileMode(home.Root) is var mode && (mode & others) != 0)
                return DoctorCheck.Warn("home", $"{home.Root} is {DroverHome.FormatMode(mode)}, open to other users: chmod 700 {home.Root} (serve closes it when it starts)");
            return DoctorCheck.Ok("home", $"{home.Root} is writable, owner-only");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return DoctorCheck.Fail("home", $"{home.Root} is not writable: {e.Message}");
        }
    }

    /// <summary>
    /// Each <c>[[forges]]</c> entry: its token is set in the secret store (fetch, push, pull requests and status comments
    /// need it). Nothing is sent to the forge; the token itself is never shown.
    /// </summary>
    private static IEnumerable<DoctorCheck> CheckForges(DroverHome home, DroverConfig config)
    {
        if (config.Forges.Count == 0)
            yield break;
        var secrets = new Drover.Core.Secrets.SecretStore(home.SecretsPath);
        foreach (var forge in config.Forges)
        {
            var name = $"forge {forge.Host}";
            string? token;
            try
            {
                token = secrets.Get(forge.TokenSecret);
            }
            catch (Drover.Core.DroverException e)
            {
                token = null;
                name += $" ({e.Message})";
            }

            yield return token is { Length: > 0 }
                ? DoctorCheck.Ok(name, $"{forge.Kind}, API {forge.BaseUrl?.ToString() ?? (forge.Kind == "github" ? "https://api.github.com" : "?")}, token {forge.TokenSecret} set")
                : DoctorCheck.Fail(name, $"the secret {forge.TokenSecret} is not set: fetches, pushes and pull requests of {forge.Host} will fail (drover secret set {forge.TokenSecret})");
        }
    }

    /// <summary>Whether attempts here run confined (SPEC §13), and if not, why and what that means for <c>[sandbox] mode</c>.</summary>
    private static DoctorCheck CheckSandbox(DroverHome home, DroverConfig config)
    {
        var sandbox = Runtime.Sandbox(config, home);
        var network = config.Sandbox.Network is { } n ? SandboxConfig.Name(n) : "gateway when the engine uses the gateway, else open";
        return (config.Sandbox.Mode, sandbox.Unavailable) switch
        {
            (SandboxMode.Off, _) => DoctorCheck.Warn("sandbox", "[sandbox] mode = \"off\": agents run unconfined, with Drover's environment and files in reach"),
            (SandboxMode.Required, { } why) => DoctorCheck.Fail("sandbox", $"{why}; [sandbox] mode = \"required\", so workers here claim no jobs"),
            (_, { } why) => DoctorCheck.Warn("sandbox", $"{why}; attempts run unconfined (environment still built from nothing)"),
            _ when config.Sandbox.Network is SandboxNetwork.Gateway && !File.Exists(Drover.Engines.Sandbox.Relay.Perl) =>
                DoctorCheck.Fail("sandbox", $"network = \"gateway\" needs {Drover.Engines.Sandbox.Relay.Perl}"),
            _ => DoctorCheck.Ok("sandbox", $"attempts run in bubblewrap ({config.Sandbox.Bubblewrap}); network: {network}"),
        };
    }

    /// <summary>Free memory and disk beside <c>[fleet] min_free_memory</c> / <c>min_free_disk</c>: below them a worker claims nothing.</summary>
    private static IEnumerable<DoctorCheck> CheckResources(DroverHome home, DroverConfig config)
    {
        yield return Resource("memory", "available", HostResources.ReadMemAvailable(), config.Fleet.MinFreeMemoryBytes, "min_free_memory");
        yield return Resource("disk", $"free on {home.Root}", HostResources.ReadFreeDisk(home.Root), config.Fleet.MinFreeDiskBytes, "min_free_disk");
    }

    private static DoctorCheck Resource(string name, string what, long? free, long min, string setting)
    {
        if (free is not { } bytes)
            return DoctorCheck.Warn(name, $"this host does not say how much is {what}");
        var text = $"{HostResources.Size(bytes)} {what}";
        if (min <= 0)
            return DoctorCheck.Ok(name, $"{text} ([fleet] {setting} off)");
        return bytes < min
            ? DoctorCheck.Warn(name, $"{text}: below [fleet] {setting} = {HostResources.Size(min)}, so workers here claim no jobs")
            : DoctorCheck.Ok(name, $"{text} ([fleet] {setting} = {HostResources.Size(min)})");
    }

    private static async Task<(DroverConfig Config, DoctorCheck Check)> LoadConfigAsync(DroverHome home, CancellationToken ct)
    {
        try
        {
            var config = await Runtime.LoadConfigAsync(home, ct);
            return (config, DoctorCheck.Ok("config", config.Source is { } source ? $"{source} is valid" : "no drover.toml: built-in defaults"));
        }
        catch (DroverConfigException e)
        {
            return (DroverConfig.Default, DoctorCheck.Fail("config", e.Message + " (the checks below use the defaults)"));
        }
    }

    private static DoctorCheck CheckToken(DroverHome home)
    {
        if (!File.Exists(home.TokenPath))
            return DoctorCheck.Warn("token", $"{home.TokenPath} does not exist yet (drover init or drover token creates it)");
        if (OperatingSystem.IsWindows())
            return DoctorCheck.Ok("token", home.TokenPath);
        var mode = File.GetUnixFileMode(home.TokenPath);
        const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        var octal = Convert.ToString((int)mode, 8).PadLeft(4, '0');
        return (mode & others) == 0
            ? DoctorCheck.Ok("token", $"{home.TokenPath} ({octal})")
            : DoctorCheck.Fail("token", $"{home.TokenPath} is {octal}, readable by others: chmod 600 {home.TokenPath}");
    }

    /// <summary>A damaged secrets file leaves gateway providers and jobs without the secrets they name.</summary>
    private static DoctorCheck CheckSecrets(DroverHome home) =>
        Core.Secrets.SecretsFileCheck.Problem(home.SecretsPath) is { } problem
            ? DoctorCheck.Fail("secrets", problem + "; repair it or restore it from a backup (drover restore)")
            : DoctorCheck.Ok("secrets", File.Exists(home.SecretsPath) ? $"{home.SecretsPath} is valid" : "no secrets file (none set)");

    private static async Task<DoctorCheck> CheckStoreAsync(DroverHome home, string? store, CancellationToken ct)
    {
        if (store is null && !File.Exists(home.DatabasePath))
            return DoctorCheck.Warn("store", $"{home.DatabasePath} does not exist yet (drover init creates it)");
        var name = store ?? "sqlite:" + home.DatabasePath;
        try
        {
            await using (await Runtime.OpenStoreAsync(home, store, ct))
            {
            }

            return DoctorCheck.Ok("store", $"{name} opens, schema current");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever stops the store from opening (bad URL, locked or corrupt file, a newer schema) is the finding.
            return DoctorCheck.Fail("store", $"{name}: {e.Message}");
        }
    }

    private static async Task<DoctorCheck> CheckGitAsync(CancellationToken ct)
    {
        var psi = new ProcessStartInfo("git", "--version")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        try
        {
            using var git = Process.Start(psi)!;
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(TimeSpan.FromSeconds(10));
            var output = await git.StandardOutput.ReadToEndAsync(limit.Token);
            await git.WaitForExitAsync(limit.Token);
            return git.ExitCode == 0
                ? DoctorCheck.Ok("git", output.Trim())
                : DoctorCheck.Fail("git", $"git --version exited {git.ExitCode}");
        }
        catch (Win32Exception)
        {
            return DoctorCheck.Fail("git", "git not found on PATH (worktrees, checkpoints and diffs need it)");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return DoctorCheck.Fail("git", "git --version did not answer within 10 s");
        }
    }

    /// <summary>
    /// A CLI that is missing is a warning (jobs for it wait for a worker that has it), unless drover.toml configures
    /// it; a CLI that is there but does not answer <c>--version</c> fails; a version other than the tested one warns.
    /// </summary>
    private static async Task<IEnumerable<DoctorCheck>> CheckEnginesAsync(DroverConfig config, CancellationToken ct)
    {
        var engines = await EngineDrivers.DetectAsync(config.Engines, ct);
        return engines.Select(info =>
        {
            var name = "engine " + info.Name;
            config.Engines.TryGetValue(info.Name, out var configured);
            if (info.Path is null)
            {
                return configured is not null
                    ? DoctorCheck.Fail(name, $"{info.Error} (configured in [engines.{info.Name}])")
                    : DoctorCheck.Warn(name, $"{info.Error}; jobs for {info.Name} wait for a worker that has it");
            }

            if (configured?.Command is not null)
                return DoctorCheck.Ok(name, $"{info.Path} (custom engine, usage {configured.Usage ?? "drover"})");
            if (info.Version is null)
                return DoctorCheck.Fail(name, $"{info.Path}: {info.Error}");
            return TestedVersions.For(info.Name) switch
            {
                null => DoctorCheck.Warn(name, $"{info.Version} at {info.Path}; no {info.Name} version has been tested with Drover yet"),
                var tested when string.Equals(tested, info.Version, StringComparison.Ordinal) =>
                    DoctorCheck.Ok(name, $"{info.Version} at {info.Path} (tested)"),
                var tested => DoctorCheck.Warn(name, $"{info.Version} at {info.Path}; Drover was tested with {tested}"),
            };
        });
    }

    /// <summary>"3 ok, 1 warn, 0 fail".</summary>
    public static string Summary(IReadOnlyList<DoctorCheck> checks)
    {
        ArgumentNullException.ThrowIfNull(checks);
        int Count(string status) => checks.Count(c => c.Status == status);
        return string.Create(CultureInfo.InvariantCulture,
            $"{Count(DoctorCheck.OkStatus)} ok, {Count(DoctorCheck.WarnStatus)} warn, {Count(DoctorCheck.FailStatus)} fail");
    }
}
