using System.CommandLine;
using System.Text.Json.Nodes;
using Drover.Cli.Output;
using Drover.Server.Jobs;

namespace Drover.Cli.Commands;

/// <summary>`drover submit`: a prompt argument or --file, plus flags for the common spec keys.</summary>
public static class SubmitCommand
{
    public static Command Create(GlobalOptions g)
    {
        var prompt = new Argument<string?>("prompt") { Description = "The instructions (or use --file)", Arity = ArgumentArity.ZeroOrOne };
        var file = new Option<string?>("--file", "-f") { Description = "A job file: .json, or .md with YAML front matter" };
        var engine = new Option<string?>("--engine", "-e") { Description = "shell, claude, codex, … (default: shell when --command is given)" };
        var command = new Option<string?>("--command", "-c") { Description = "For the shell engine: the command to run (/bin/sh -c)" };
        var model = new Option<string?>("--model") { Description = "Model or route alias" };
        var repo = new Option<string?>("--repo") { Description = "Workspace source (default: current directory)" };
        var @base = new Option<string?>("--base") { Description = "Git ref the job branch starts from (default HEAD)" };
        var priority = new Option<string?>("--priority", "-p") { Description = "critical|high|medium|low or 0-100" };
        var caps = new Option<string[]>("--capability") { Description = "Required worker capability (repeatable), e.g. node>=20" };
        var key = new Option<string?>("--key") { Description = "Idempotency key" };
        var after = new Option<string[]>("--after") { Description = "Dependency: job id or key (repeatable)" };
        var depsMode = new Option<string?>("--deps-mode") { Description = "hard|soft" };
        var lockKey = new Option<string?>("--lock") { Description = "Lock key (none disables)" };
        var deliver = new Option<string?>("--deliver") { Description = "On success: none | push | pr | pr_draft (push the branch, open a pull request)" };
        var network = new Option<string?>("--network") { Description = "The sandbox's network: gateway | none | open (may only narrow what [sandbox] network allows)" };
        var timeout = new Option<string?>("--timeout") { Description = "Per-attempt timeout, e.g. 45m" };
        var stall = new Option<string?>("--stall-timeout") { Description = "Kill after this long without output" };
        var maxAttempts = new Option<int?>("--max-attempts") { Description = "Retry: attempts in all" };
        var backoff = new Option<string?>("--backoff") { Description = "Retry: first backoff, e.g. 30s" };
        var verify = new Option<string?>("--verify") { Description = "Shell command that must pass after the engine succeeds" };
        var expectChanges = new Option<bool>("--expect-changes") { Description = "Fail an attempt that changes nothing in the repo" };
        var allowed = new Option<string[]>("--allowed-path") { Description = "Glob the job may change (repeatable)" };
        var approval = new Option<string[]>("--approval") { Description = "Tool-approval rule \"allow|ask|deny TOOL\", e.g. \"ask Bash(git push*)\" (repeatable)" };
        var scope = new Option<string?>("--scope-policy") { Description = "warn|enforce" };
        var review = new Option<string?>("--review") { Description = "auto|human" };
        var profile = new Option<string?>("--profile") { Description = "Profile of defaults from drover.toml" };
        var title = new Option<string?>("--title") { Description = "Short label" };
        var labels = new Option<string[]>("--label", "-l") { Description = "key=value (repeatable)" };
        var env = new Option<string[]>("--env") { Description = "NAME=value for the engine (repeatable)" };
        var wait = new Option<bool>("--wait", "-w") { Description = "Wait for the outcome; exit 0 if it succeeded, 1 otherwise" };
        var waitTimeout = new Option<string?>("--wait-timeout") { Description = "Give up waiting after this long (exit 1)" };

        var cmd = new Command("submit", "Queue a job");
        cmd.Arguments.Add(prompt);
        foreach (var o in new Option[] { file, engine, command, model, repo, @base, priority, caps, key, after, depsMode, lockKey, network, deliver, timeout, stall, maxAttempts, backoff, verify, expectChanges, allowed, approval, scope, review, profile, title, labels, env, wait, waitTimeout })
            cmd.Options.Add(o);

        cmd.SetHandler(g, async (r, s, ct) =>
        {
            var spec = new JsonObject();
            void Set(string k, string? v)
            {
                if (v is not null)
                    spec[k] = v;
            }

            void SetList(string k, string[]? v)
            {
                if (v is { Length: > 0 })
                    spec[k] = new JsonArray(v.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());
            }

            JsonObject? Pairs(string k, string[]? v)
            {
                if (v is not { Length: > 0 })
                    return null;
                var o = new JsonObject();
                foreach (var pair in v)
                {
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0)
                        throw new Core.JobSpecException(k, $"\"{pair}\" must be NAME=value");
                    o[pair[..eq]] = pair[(eq + 1)..];
                }

                return o;
            }

            Set("prompt", r.GetValue(prompt));
            Set("engine", r.GetValue(engine));
            Set("command", r.GetValue(command));
            Set("model", r.GetValue(model));
            Set("repo", r.GetValue(repo) is { } rp ? Core.Workspaces.RepoUrl.IsUrl(rp) ? rp : Path.GetFullPath(rp) : null);
            Set("base", r.GetValue(@base));
            if (r.GetValue(priority) is { } pr)
                spec["priority"] = int.TryParse(pr, out var n) ? n : pr;
            SetList("capabilities", r.GetValue(caps));
            Set("key", r.GetValue(key));
            SetList("after", r.GetValue(after));
            Set("deps_mode", r.GetValue(depsMode));
            Set("lock", r.GetValue(lockKey));
            Set("network", r.GetValue(network));
            Set("deliver", r.GetValue(deliver));
            Set("timeout", r.GetValue(timeout));
            Set("stall_timeout", r.GetValue(stall));
            if (r.GetValue(maxAttempts) is not null || r.GetValue(backoff) is not null)
            {
                var retry = new JsonObject();
                if (r.GetValue(maxAttempts) is { } ma)
                    retry["max_attempts"] = ma;
                if (r.GetValue(backoff) is { } bo)
                    retry["backoff"] = bo;
                spec["retry"] = retry;
            }

            Set("verify", r.GetValue(verify));
            if (r.GetValue(expectChanges))
                spec["expect_changes"] = true;
            SetList("allowed_paths", r.GetValue(allowed));
            SetList("approvals", r.GetValue(approval));
            Set("scope_policy", r.GetValue(scope));
            Set("review", r.GetValue(review));
            Set("profile", r.GetValue(profile));
            Set("title", r.GetValue(title));
            if (Pairs("labels", r.GetValue(labels)) is { } lo)
                spec["labels"] = lo;
            if (Pairs("env", r.GetValue(env)) is { } eo)
                spec["env"] = eo;

            // One merge (Core), one shape: the server and the local service both get the merged object.
            var home = Server.Hosting.DroverHome.Resolve(s.Home);
            var config = await Runtime.LoadConfigAsync(home, ct);
            byte[]? fileBytes = null;
            var format = Core.Specs.SpecFileFormat.Json;
            if (r.GetValue(file) is { } path)
            {
                format = Core.Specs.JobSpecParser.FileFormat(path);
                if (!File.Exists(path))
                    throw new Core.JobSpecException("file", $"job file \"{path}\" does not exist");
                fileBytes = await File.ReadAllBytesAsync(path, ct);
            }

            var merged = Core.Specs.JobSpecParser.MergeSubmission(fileBytes, format, spec);
            DefaultRepo(merged, config, Environment.CurrentDirectory);
            var request = new SubmitRequest(merged, null, null, Environment.CurrentDirectory);

            TimeSpan? limit = r.GetValue(waitTimeout) is { } wt ? Durations.Parse(wt, "--wait-timeout") : null;
            var (api, owner) = await Runtime.ConnectAsync(s, ct, requireHome: false);
            await using (owner)
            {
                var submitted = await api.SubmitAsync(request, ct);
                if (!r.GetValue(wait))
                {
                    if (s.Json)
                        Render.Json(submitted.Job);
                    else
                        Console.WriteLine($"job {submitted.Job.Id} {submitted.Outcome} ({submitted.Job.State})");
                    return ExitCodes.Ok;
                }

                if (!s.Json)
                    Console.Error.WriteLine($"job {submitted.Job.Id} {submitted.Outcome}; waiting for it to finish…");
                var done = await SubmitWait.WaitAsync(api, owner as Runtime, submitted.Job.Id, limit, config.Worker.Heartbeat * 3, ct);
                if (s.Json)
                    Render.Json(done);
                else
                    Render.Job(done);
                return done.State == "succeeded" ? ExitCodes.Ok : ExitCodes.Failed;
            }
        });
        return cmd;
    }

    /// <summary>
    /// The CLI's default repo is the directory it runs in, sent explicitly (the API has no default); a relative
    /// repo from a job file resolves against it here, so the server and the local service see the same path.
    /// A profile that names a repo keeps it.
    /// </summary>
    internal static void DefaultRepo(JsonObject merged, Core.Configuration.DroverConfig config, string cwd)
    {
        if (merged["repo"] is JsonValue v && v.TryGetValue<string>(out var given))
        {
            var expanded = given == "~" || given.StartsWith("~/", StringComparison.Ordinal)
                ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + given[1..]
                : given;
            if (expanded.Length > 0 && !expanded.Contains("..", StringComparison.Ordinal) && !Core.Workspaces.RepoUrl.IsUrl(expanded))
                merged["repo"] = Path.GetFullPath(expanded, cwd);
            return;
        }

        if (merged.ContainsKey("repo"))
            return;
        var profile = merged["profile"] is JsonValue p && p.TryGetValue<string>(out var name) ? name : "default";
        if (config.Profiles.TryGetValue(profile, out var defaults) && defaults.ContainsKey("repo"))
            return;
        merged["repo"] = cwd;
    }
}
