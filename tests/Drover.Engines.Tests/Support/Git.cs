using System.Diagnostics;

namespace Drover.Engines.Tests.Support;

/// <summary>Runs the real git for test set-up and assertions, with a fixed identity and no inherited GIT_* state.</summary>
public static class Git
{
    public static string Run(string cwd, params string[] args)
    {
        var psi = new ProcessStartInfo("git")
        {
            WorkingDirectory = cwd,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main" }.Concat(args))
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["GIT_AUTHOR_NAME"] = "Test Author";
        psi.Environment["GIT_AUTHOR_EMAIL"] = "author@example.invalid";
        psi.Environment["GIT_COMMITTER_NAME"] = "Test Author";
        psi.Environment["GIT_COMMITTER_EMAIL"] = "author@example.invalid";
        psi.Environment["LC_ALL"] = "C";
        foreach (var name in new[] { "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY" })
        {
            psi.Environment.Remove(name);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed ({process.ExitCode}): {stderr}");
        }

        return stdout.Result.TrimEnd('\n');
    }

    /// <summary>Creates a repo with one commit (README.md, src/app.txt) and returns its HEAD sha.</summary>
    public static string InitRepo(string dir)
    {
        Directory.CreateDirectory(dir);
        Run(dir, "init", "--quiet", "-b", "main");
        File.WriteAllText(Path.Combine(dir, "README.md"), "hello\n");
        Directory.CreateDirectory(Path.Combine(dir, "src"));
        File.WriteAllText(Path.Combine(dir, "src", "app.txt"), "one\ntwo\nthree\n");
        return Commit(dir, "initial");
    }

    /// <summary>Commits everything in <paramref name="dir"/> and returns the new HEAD sha.</summary>
    public static string Commit(string dir, string message)
    {
        Run(dir, "add", "-A");
        Run(dir, "commit", "--quiet", "-m", message);
        return Run(dir, "rev-parse", "HEAD");
    }
}
