using System.Diagnostics;
using System.Text.Json.Nodes;
using Drover.Server.Hosting;
using Drover.Server.Jobs;

namespace Drover.Cli.Commands;

/// <summary>
/// `serve --demo`: a throwaway git repo and a handful of shell jobs that show the features
/// without any API key: a dependency chain, a crash then a retry, a verify failure, a scope
/// violation, a question, and progress with usage.
/// </summary>
public static class Demo
{
    public static async Task SubmitAsync(DroverHome home, JobService jobs, string url, CancellationToken ct)
    {
        var repo = Path.Combine(home.Root, "demo-repo");
        var scratch = Path.Combine(home.Root, "demo-scratch");
        Directory.CreateDirectory(scratch);
        if (!Directory.Exists(Path.Combine(repo, ".git")))
            await CreateRepoAsync(repo, ct);

        // The chain and the crash pass state through files, so they run in place in a plain directory (a job sees only its
        // own workspace: the sandbox hides the rest of the home); the others get git worktrees of the demo repository.
        void InScratch(JsonObject o) => o["repo"] = scratch;
        var specs = new List<(string Expect, JsonObject Spec)>
        {
            ("succeeded", Shell("chain 1/3: fetch", "echo fetched >> chain.log; echo 'DROVER_PROGRESS fetched the data'", key: "demo-fetch", extra: InScratch)),
            ("succeeded", Shell("chain 2/3: build (after fetch)", "grep -q fetched chain.log && echo built >> chain.log", key: "demo-build", after: "demo-fetch", extra: InScratch)),
            ("succeeded", Shell("chain 3/3: report (after build)", "grep -q built chain.log && echo 'report ready' > REPORT.md", key: "demo-report", after: "demo-build", extra: InScratch)),
            ("succeeded", Shell(
                "crashes once, then succeeds on retry",
                "if [ ! -f crashed-once ]; then touch crashed-once; echo 'simulated crash' >&2; exit 3; fi; echo \"recovered on attempt $DROVER_ATTEMPT\" > recovered.txt",
                extra: o =>
                {
                    InScratch(o);
                    o["retry"] = new JsonObject { ["max_attempts"] = 3, ["backoff"] = "1s" };
                })),
            ("failed", Shell(
                "verify fails: the feature has no tests",
                "echo 'feature' > feature.txt",
                extra: o =>
                {
                    o["verify"] = "grep -q 'tests pass' feature.txt";
                    o["retry"] = new JsonObject { ["max_attempts"] = 1 };
                })),
            ("failed", Shell(
                "scope enforced: writes outside docs/",
                "mkdir -p src docs && echo x > src/hack.txt && echo y > docs/ok.md",
                extra: o =>
                {
                    o["allowed_paths"] = new JsonArray("docs/**");
                    o["scope_policy"] = "enforce";
                })),
            // Asks until answered: `drover answer ID postgres` appends the answer to the prompt file, and the next
            // attempt finds it there and writes the choice down.
            ("blocked", Shell(
                "asks a question",
                "db=$(grep -ioE '^(sqlite|postgres)' \"$DROVER_PROMPT_FILE\" | tail -n 1); " +
                "if [ -n \"$db\" ]; then echo \"migration target: $db\" > MIGRATION.md; echo \"using $db\"; " +
                "else echo 'DROVER_QUESTION Which database should the migration target: sqlite or postgres?'; fi")),
            ("succeeded", Shell(
                "progress and usage",
                "for i in 1 2 3; do echo \"DROVER_PROGRESS step $i of 3\"; sleep 1; done; " +
                "echo 'DROVER_USAGE {\"input_tokens\":1200,\"output_tokens\":340,\"cost_usd\":0.0123,\"model\":\"demo-model\"}'; echo done > steps.txt")),
        };

        foreach (var (expect, spec) in specs)
        {
            spec["repo"] ??= repo;
            spec["labels"] = new JsonObject { ["demo"] = "true", ["expect"] = expect };
            var submitted = await jobs.SubmitAsync(new SubmitRequest(spec, null, null, repo), ct);
            Console.WriteLine($"demo: job {submitted.Job.Id} \"{submitted.Job.Title}\" (expect {expect})");
        }

        var homeFlag = $"--home {home.Root}";
        Console.WriteLine($"demo: watch with  ./drover status --watch {homeFlag}");
        Console.WriteLine($"demo: list with   ./drover ls {homeFlag}");
        Console.WriteLine($"demo: answer with ./drover answer <id> postgres {homeFlag}");
        Console.WriteLine($"demo: API at {url} (curl -H \"Authorization: Bearer $(cat {home.TokenPath})\" {url}/api/status)");
    }

    private static JsonObject Shell(string title, string command, string? key = null, string? after = null, Action<JsonObject>? extra = null)
    {
        var o = new JsonObject { ["title"] = title, ["engine"] = "shell", ["command"] = command, ["timeout"] = "2m" };
        if (key is not null)
            o["key"] = key;
        if (after is not null)
            o["after"] = new JsonArray(after);
        extra?.Invoke(o);
        return o;
    }

    private static async Task CreateRepoAsync(string repo, CancellationToken ct)
    {
        Directory.CreateDirectory(repo);
        await File.WriteAllTextAsync(Path.Combine(repo, "README.md"), "# demo repository\n\nDrover's demo jobs branch from here.\n", ct);
        await GitAsync(repo, ct, "init", "-q", "-b", "main");
        await GitAsync(repo, ct, "add", "-A");
        await GitAsync(repo, ct, "-c", "user.name=drover", "-c", "user.email=drover@localhost", "commit", "-q", "-m", "demo: initial commit");
    }

    private static async Task GitAsync(string cwd, CancellationToken ct, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0)
            throw new Core.DroverException($"git {string.Join(' ', args)} failed: {await p.StandardError.ReadToEndAsync(ct)}");
    }
}
