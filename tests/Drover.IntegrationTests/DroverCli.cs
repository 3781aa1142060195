using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Drover.IntegrationTests;

/// <summary>Runs the real `drover` binary (built beside the tests) as a child process.</summary>
public sealed class DroverCli
{
    public DroverCli(string home) => Home = home;

    public string Home { get; }

    /// <summary>A command every drover process is started through, e.g. <c>nsenter --net=… --</c>.</summary>
    public IReadOnlyList<string> Prefix { get; set; } = [];

    /// <summary>Extra environment for every command this runs (PATH with stand-in CLIs, …).</summary>
    public Dictionary<string, string> Env { get; } = new(StringComparer.Ordinal);

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "drover.dll");

    public async Task<CliResult> RunAsync(params string[] args) => await RunInAsync(null, args);

    public async Task<CliResult> RunInAsync(string? cwd, params string[] args)
    {
        using var p = Process.Start(StartInfo(cwd, args))!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(cts.Token);
        return new CliResult(p.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts a long-running command (serve, worker); the caller stops it.</summary>
    public BackgroundProcess Start(params string[] args) => new(Process.Start(StartInfo(null, args))!);

    private ProcessStartInfo StartInfo(string? cwd, string[] args)
    {
        var psi = new ProcessStartInfo(Prefix.Count > 0 ? Prefix[0] : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = cwd ?? Home,
        };
        foreach (var p in Prefix.Skip(1))
            psi.ArgumentList.Add(p);
        if (Prefix.Count > 0)
            psi.ArgumentList.Add("dotnet");
        psi.ArgumentList.Add(Dll);
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["DROVER_HOME"] = Home;
        psi.Environment.Remove("DROVER_URL");
        psi.Environment.Remove("DROVER_STORE");
        psi.Environment.Remove("DROVER_TOKEN");
        foreach (var (name, value) in Env)
            psi.Environment[name] = value;
        return psi;
    }
}

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public JsonElement Json => JsonDocument.Parse(Stdout).RootElement.Clone();

    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>A drover process running in the background, its output collected.</summary>
public sealed class BackgroundProcess : IAsyncDisposable
{
    private readonly StringBuilder _out = new();

    public BackgroundProcess(Process process)
    {
        Process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }

    public int Pid => Process.Id;

    public string Output
    {
        get
        {
            lock (_out)
                return _out.ToString();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_out)
            _out.AppendLine(line);
    }

    public void Signal(int signal) => Native.Kill(Process.Id, signal);

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await Process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Native.Kill(Process.Id, Native.SIGKILL);
            await WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        Process.Dispose();
    }
}

internal static partial class Native
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int SIGCONT = 18;
    public const int SIGSTOP = 19;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int sig);

    public static bool Alive(int pid) => Kill(pid, 0) == 0 && !IsZombie(pid);

    /// <summary>
    /// The host pid of a job's process that knows itself as <paramref name="pid"/> (<c>$$</c> inside the attempt's sandbox
    /// is a pid of its own PID namespace): the process whose innermost NSpid is that number and whose environment holds
    /// <paramref name="envMarker"/> (e.g. <c>DROVER_WORKSPACE=…</c>). Throws when there is none, so a test cannot pass
    /// by looking at the wrong process.
    /// </summary>
    public static int HostPid(int pid, string envMarker)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var hostPid))
                continue;
            try
            {
                var nspid = File.ReadLines(Path.Combine(dir, "status")).FirstOrDefault(l => l.StartsWith("NSpid:", StringComparison.Ordinal));
                if (nspid is null || nspid.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[^1] != pid.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    continue;
                if (File.ReadAllText(Path.Combine(dir, "environ")).Split('\0').Contains(envMarker, StringComparer.Ordinal))
                    return hostPid;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to read.
            }
        }

        throw new InvalidOperationException($"no live process is pid {pid} in its namespace with {envMarker} in its environment");
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close > 0 && stat.Length > close + 2 && stat[close + 2] == 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
