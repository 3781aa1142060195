using System.CommandLine;
using Drover.Cli.Output;
using Drover.Server.Jobs;

namespace Drover.Cli.Commands;

/// <summary>ls, show, logs, cancel, retry, answer, approve.</summary>
public static class JobCommands
{
    public static IEnumerable<Command> Create(GlobalOptions g)
    {
        yield return Ls(g);
        yield return Show(g);
        yield return Logs(g);
        yield return Action(g, "cancel", "Cancel a job (a running agent is killed)", (api, id, _, ct) => api.CancelAsync(id, ct));
        yield return Action(g, "retry", "Requeue a failed or cancelled job", (api, id, _, ct) => api.RetryAsync(id, ct));
        yield return Answer(g);
        yield return Approve(g);
        yield return Deliver(g);
    }

    private static Command Deliver(GlobalOptions g)
    {
        var id = new Argument<long>("id") { Description = "Job id" };
        var mode = new Option<string?>("--mode") { Description = "push, pr or pr_draft (default: the mode the job had, else pr)" };
        var cmd = new Command("deliver", "Push a succeeded job's branch and open its pull request, again or for the first time") { id, mode };
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            var (api, owner) = await Runtime.ConnectAsync(s, ct);
            await using (owner)
            {
                var job = await api.DeliverAsync(r.GetValue(id), r.GetValue(mode), ct);
                if (s.Json)
                    Render.Json(job);
                else
                    Console.WriteLine($"job {job.Id}: {job.Delivery?.Mode} delivery {job.Delivery?.State} (the host that ran it pushes the branch: drover show {job.Id})");
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Ls(GlobalOptions g)
    {
        var state = new Option<string?>("--state") { Description = "queued|running|blocked|succeeded|failed|cancelled" };
        var label = new Option<string?>("--label") { Description = "key=value" };
        var limit = new Option<int>("--limit") { Description = "Page size (1-500)", DefaultValueFactory = _ => 50 };
        var cursor = new Option<long?>("--cursor") { Description = "next_cursor from the previous page" };
        var engine = new Option<string?>("--engine") { Description = "Only jobs of this engine (shell, claude, …)" };
        var text = new Option<string?>("--text") { Description = "Only jobs whose title contains this text (ignoring case)" };
        var cmd = new Command("ls", "List jobs, newest first") { state, label, engine, text, limit, cursor };
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            var (api, owner) = await Runtime.ConnectAsync(s, ct);
            await using (owner)
            {
                var page = await api.ListJobsAsync(new JobQuery(r.GetValue(state), r.GetValue(label), r.GetValue(limit), r.GetValue(cursor), r.GetValue(engine), r.GetValue(text)), ct);
                if (s.Json)
                {
                    Render.Json(page);
                }
                else
                {
                    Render.JobTable(page.Jobs);
                    if (page.NextCursor is { } next)
                        Console.WriteLine($"more: drover ls --cursor {next} (with the same filters)");
                }
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Show(GlobalOptions g)
    {
        var id = new Argument<long>("id") { Description = "Job id" };
        var cmd = new Command("show", "Show a job: spec, why it waits, attempts, events") { id };
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            var (api, owner) = await Runtime.ConnectAsync(s, ct);
            await using (owner)
            {
                var job = await api.GetJobAsync(r.GetValue(id), ct);
                if (s.Json)
                    Render.Json(job);
                else
                    Render.Job(job);
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Logs(GlobalOptions g)
    {
        var id = new Argument<long>("id") { Description = "Job id" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing until the job ends" };
        var attempt = new Option<int?>("--attempt") { Description = "Attempt number (default: the latest)" };
        var cmd = new Command("logs", "Print an attempt's log") { id, follow, attempt };
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            var (api, owner) = await Runtime.ConnectAsync(s, ct);
            await using (owner)
            {
                var jobId = r.GetValue(id);
                int? n = r.GetValue(attempt);
                long offset = 0;
                var shown = n;
                while (true)
                {
                    var chunk = await api.ReadLogAsync(jobId, n, offset, ct);
                    if (shown is not null && chunk.Attempt != shown && chunk.Attempt > 0)
                    {
                        offset = 0;
                        chunk = await api.ReadLogAsync(jobId, chunk.Attempt, 0, ct);
                    }

                    if (shown != chunk.Attempt && chunk.Attempt > 0 && r.GetValue(follow))
                        Console.Error.WriteLine($"--- job {jobId} attempt {chunk.Attempt} ---");
                    shown = chunk.Attempt;
                    Console.Out.Write(SafeText.Lines(chunk.Text));
                    offset = chunk.Offset;
                    if (chunk.Text.Length > 0)
                        continue;
                    if (!r.GetValue(follow))
                        break;
                    if (chunk.AttemptEnded)
                    {
                        // The attempt is over; keep following only while the job may start another one.
                        var job = await api.GetJobAsync(jobId, ct);
                        if (n is not null || job.State is "succeeded" or "failed" or "cancelled" or "blocked")
                            break;
                        if (job.Attempt == chunk.Attempt)
                        {
                            await Task.Delay(250, ct);
                            continue;
                        }
                    }

                    await Task.Delay(200, ct);
                }
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Answer(GlobalOptions g)
    {
        var id = new Argument<long>("id") { Description = "Job id" };
        var text = new Argument<string>("answer") { Description = "The answer to the agent's question" };
        var cmd = new Command("answer", "Answer a blocked job's question and requeue it") { id, text };
        cmd.SetHandler(g, (r, s, ct) => RunAsync(s, r.GetValue(id), (api, j, c) => api.AnswerAsync(j, r.GetValue(text)!, c), ct));
        return cmd;
    }

    private static Command Approve(GlobalOptions g)
    {
        var id = new Argument<long>("id") { Description = "Job id" };
        var reject = new Option<bool>("--reject") { Description = "Reject instead (the job fails)" };
        var reason = new Option<string?>("--reason") { Description = "Why (kept on the job)" };
        var cmd = new Command("approve", "Approve a job waiting for human review") { id, reject, reason };
        cmd.SetHandler(g, (r, s, ct) => RunAsync(s, r.GetValue(id), (api, j, c) => api.ApproveAsync(j, !r.GetValue(reject), r.GetValue(reason), c), ct));
        return cmd;
    }

    private static Command Action(GlobalOptions g, string name, string description, Func<IDroverApi, long, GlobalOptions.Settings, CancellationToken, Task<JobView>> act)
    {
        var id = new Argument<long>("id") { Description = "Job id" };
        var cmd = new Command(name, description) { id };
        cmd.SetHandler(g, (r, s, ct) => RunAsync(s, r.GetValue(id), (api, j, c) => act(api, j, s, c), ct));
        return cmd;
    }

    private static async Task<int> RunAsync(GlobalOptions.Settings s, long id, Func<IDroverApi, long, CancellationToken, Task<JobView>> act, CancellationToken ct)
    {
        var (api, owner) = await Runtime.ConnectAsync(s, ct);
        await using (owner)
        {
            var job = await act(api, id, ct);
            if (s.Json)
                Render.Json(job);
            else
                Console.WriteLine($"job {job.Id} is now {job.State}");
        }

        return ExitCodes.Ok;
    }
}
