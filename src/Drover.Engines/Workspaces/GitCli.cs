using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Drover.Engines.Workspaces;

/// <summary>What a git command printed.</summary>
internal sealed record GitOutput(int ExitCode, string Stdout, string Stderr)
{
    public bool Ok => ExitCode == 0;

    public string FirstLine => Stdout.Split('\n')[0].Trim();
}

/// <summary>Runs the real `git` binary: argv only (no shell), C locale (we read its messages),
/// no prompts, Drover's identity for commits, and retries when another process holds a lock file.</summary>
internal static class GitCli
{
    private const int LockTries = 5;

    private static readonly string[] Identity =
        ["-c", "user.name=drover", "-c", "user.email=drover@localhost", "-c", "commit.gpgsign=false"];

    private static readonly string[] InheritedGitVariables =
        ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY", "GIT_PREFIX"];

    /// <summary>Runs git in <paramref name="cwd"/>; throws <see cref="WorkspaceException"/> on a non-zero exit.</summary>
    public static async Task<GitOutput> RunCheckedAsync(string cwd, ILogger logger, CancellationToken ct, params string[] args)
    {
        var output = await RunAsync(cwd, logger, ct, args);
        return output.Ok
            ? output
            : throw new WorkspaceException($"git {string.Join(' ', args)} failed (exit {output.ExitCode}): {output.Stderr.Trim()}");
    }

    /// <summary>Runs git in <paramref name="cwd"/> and returns whatever it did, retrying lock-file conflicts.</summary>
    public static Task<GitOutput> RunAsync(string cwd, ILogger logger, CancellationToken ct, params string[] args) =>
        RunAsync(cwd, null, logger, ct, args);

    /// <summary>As <see cref="RunAsync(string, ILogger, CancellationToken, string[])"/>, with extra environment for this git alone.</summary>
    public static async Task<GitOutput> RunAsync(string cwd, IReadOnlyDictionary<string, string>? env, ILogger logger, CancellationToken ct, params string[] args)
    {
        for (var attempt = 1; ; attempt++)
        {
            var output = await RunOnceAsync(cwd, args, env, ct);
            if (output.Ok || attempt >= LockTries || !IsLockConflict(output.Stderr))
            {
                return output;
            }

            Log.GitLockRetry(logger, args[0], attempt);
            var backoff = TimeSpan.FromMilliseconds((100 << attempt) + Random.Shared.Next(50));
            await Task.Delay(backoff, ct);
        }
    }

    /// <summary>git's messages when another process holds index.lock, a ref lock or config.lock.</summary>
    internal static bool IsLockConflict(string stderr) =>
        stderr.Contains(".lock", StringComparison.Ordinal)
        && (stderr.Contains("File exists", StringComparison.Ordinal)
            || stderr.Contains("Unable to create", StringComparison.Ordinal)
            || stderr.Contains("could not lock", StringComparison.OrdinalIgnoreCase)
            || stderr.Contains("cannot lock", StringComparison.OrdinalIgnoreCase));

    private static async Task<GitOutput> RunOnceAsync(string cwd, string[] args, IReadOnlyDictionary<string, string>? env, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("git")
        {
            WorkingDirectory = cwd,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in Identity.Concat(args))
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["LC_ALL"] = "C";
        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        foreach (var name in InheritedGitVariables)
        {
            psi.Environment.Remove(name);
        }

        foreach (var (name, value) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }

        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException)
        {
            throw new WorkspaceException($"cannot run git in {cwd}: {e.Message}", e);
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct);
            return new GitOutput(process.ExitCode, await stdout, await stderr);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }
}
