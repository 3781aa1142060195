using Drover.Core.Configuration;
using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Core.Storage;
using Drover.Core.Workspaces;
using Drover.Engines.Workspaces;
using Drover.Server.Forges;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Delivery;

/// <summary>
/// Delivers one claimed job (SPEC §12): pushes its branch (never forced), then for <c>pr</c>/<c>pr_draft</c> opens the
/// pull request or updates the one this job already has, and asks for auto-merge. Every store write carries the
/// claim's epoch, so a host that lost its claim writes nothing. A failure a later try can fix is tried again with
/// backoff up to <c>[delivery] max_tries</c>; any other ends the delivery as failed with the reason. The job's own
/// state is never touched.
/// </summary>
public sealed class Deliverer(
    IJobStore store,
    DeliveryConfig config,
    IReadOnlyList<ForgeConfig> forges,
    BranchPush git,
    string home,
    string host,
    Func<ForgeConfig, IForgeClient> forgeFor,
    TimeProvider time,
    ILogger logger)
{
    /// <summary>The host this deliverer claims for (<see cref="HostOf"/>).</summary>
    public string Host => host;

    /// <summary>
    /// Where a job's branch lives: this machine and Drover home, whose repositories and mirrors hold it. Every worker
    /// process of the home (serve, worker, submit --wait) delivers for it, whatever its worker name.
    /// </summary>
    public static string HostOf(string homeRoot) => $"{Environment.MachineName}:{homeRoot}";

    /// <summary>Claims and delivers the next due delivery of this host; false when none was due.</summary>
    /// <param name="releaseHeld">First free claims a dead process of this host left (at a worker's start).</param>
    public async Task<bool> DeliverNextAsync(TimeSpan lease, CancellationToken ct, bool releaseHeld = false)
    {
        if (await store.DeliveryClaimAsync(new DeliveryClaimParams(host, time.GetUtcNow(), lease, releaseHeld), ct) is not { } claim)
            return false;
        await DeliverAsync(claim, ct);
        return true;
    }

    public async Task DeliverAsync(DeliveryClaim claim, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(claim);
        DeliveryStep step;
        try
        {
            step = await RunAsync(claim, ct);
        }
        catch (ForgeException e)
        {
            step = e.Transient ? DeliveryStep.Retry(e.Message, e.RetryAt) : DeliveryStep.Fail(e.Message);
        }
        catch (WorkspaceException e)
        {
            step = DeliveryStep.Fail(e.Message);
        }

        if (step.Problem is null)
            return;
        var now = time.GetUtcNow();
        if (step.Transient && claim.Try < config.MaxTries)
        {
            var backoff = TimeSpan.FromSeconds(Math.Min(1800, config.Backoff.TotalSeconds * Math.Pow(2, claim.Try - 1)));
            var next = step.RetryAt is { } at && at > now + backoff ? at : now + backoff;
            Log.DeliveryRetrying(logger, claim.JobId, claim.Try, next, step.Problem);
            await store.DeliveryUpdateAsync(new DeliveryUpdateParams(claim.JobId, claim.Epoch, now, "pending", step.Problem, NextAt: next), ct);
            return;
        }

        var reason = step.Transient ? $"{step.Problem} (gave up after {claim.Try} tries)" : step.Problem;
        Log.DeliveryFailed(logger, claim.JobId, reason);
        await store.DeliveryUpdateAsync(new DeliveryUpdateParams(claim.JobId, claim.Epoch, now, "failed", reason), ct);
    }

    private async Task<DeliveryStep> RunAsync(DeliveryClaim claim, CancellationToken ct)
    {
        if (await store.JobGetAsync(claim.JobId, ct) is not { } job)
            return DeliveryStep.Fail("the job is gone");
        var spec = JobSpecJson.Deserialize(job.SpecJson);
        var branch = job.Branch ?? GitWorkspaces.BranchName(job.Id);
        var target = spec.DeliverBranch ?? branch;

        string gitDir, url;
        if (RepoUrl.IsUrl(spec.Repo))
        {
            (gitDir, url) = (RepoMirrors.MirrorPath(home, spec.Repo), spec.Repo);
            if (!Directory.Exists(gitDir))
                return DeliveryStep.Fail($"this host has no mirror of {spec.Repo} (it was pruned?): the branch {branch} is gone");
        }
        else
        {
            gitDir = spec.Repo;
            if (!Directory.Exists(gitDir))
                return DeliveryStep.Fail($"repo {spec.Repo} does not exist on this host");
            url = await git.RemoteUrlAsync(gitDir, config.Remote, ct)
                ?? throw new WorkspaceException($"repo {spec.Repo} has no remote \"{config.Remote}\" to push to ([delivery] remote names it)");
        }

        // A pull request needs its forge: check before pushing, so a push is not left without the pull request it was for.
        var mode = claim.Mode;
        ForgeConfig? forge = null;
        if (mode is "pr" or "pr_draft")
        {
            var forgeHost = RepoUrl.Host(url);
            forge = forges.FirstOrDefault(f => f.Host == forgeHost);
            if (forge is null)
                return DeliveryStep.Fail($"no [[forges]] entry for host {forgeHost ?? url}: a pull request needs the forge's API");
        }

        var pushed = await git.PushAsync(gitDir, url, branch, target, ct);
        if (!pushed.Ok)
            return pushed.Transient ? DeliveryStep.Retry(pushed.Problem!, null) : DeliveryStep.Fail(pushed.Problem!);
        Log.DeliveryPushed(logger, job.Id, target, Redacted(url));

        if (forge is null)
        {
            await EndAsync(claim, $"{Redacted(url)}#{target}", null, ct);
            return DeliveryStep.Done;
        }

        var client = forgeFor(forge);
        var repo = ForgeRepo(url) ?? throw new WorkspaceException($"cannot tell owner/name from {Redacted(url)}");
        var draftOfFailure = job.State == JobState.Failed;
        var title = PullRequestText.Title(job, draftOfFailure);
        var body = PullRequestText.Body(job, spec, host, config.LinkFor(job.Id));
        ForgePull pull;
        if (claim.PullNumber is { } number)
        {
            // A retry of a delivery that already opened or commented its pull request: nothing more to say there.
            pull = spec.DeliverBranch is null ? await client.UpdatePullAsync(repo, number, title, body, ct) : new ForgePull(number, claim.Url ?? "", "open", false, target, "", null);
        }
        else if (await client.FindPullAsync(repo, target, ct) is { } open)
        {
            // A follow-up adds to the pull request it continues rather than replacing what it says.
            if (spec.DeliverBranch is null)
                pull = await client.UpdatePullAsync(repo, open.Number, title, body, ct);
            else
                (pull, _) = (open, await client.CommentAsync(repo, open.Number, PullRequestText.FollowUpComment(job, spec, host, config.LinkFor(job.Id)), ct));
        }
        else
        {
            pull = await client.CreatePullAsync(repo, new ForgePullDraft(target, await BaseBranchAsync(spec, url, ct), title, body, mode == "pr_draft"), ct);
        }

        if (!await store.DeliveryUpdateAsync(new DeliveryUpdateParams(job.Id, claim.Epoch, time.GetUtcNow(), "pending", PullNumber: pull.Number, Url: pull.HtmlUrl), ct))
            return DeliveryStep.Done; // superseded: the claim's new holder finishes it
        string? note = null;
        if (spec.Automerge && mode == "pr")
        {
            try
            {
                await client.EnableAutomergeAsync(repo, pull, ct);
            }
            catch (ForgeException e) when (!e.Transient)
            {
                note = $"auto-merge not enabled: {e.Message}";
            }
        }

        await EndAsync(claim, pull.HtmlUrl, note, ct);
        Log.DeliveryOpened(logger, job.Id, pull.HtmlUrl);
        return DeliveryStep.Done;
    }

    private async Task EndAsync(DeliveryClaim claim, string url, string? note, CancellationToken ct) =>
        await store.DeliveryUpdateAsync(new DeliveryUpdateParams(claim.JobId, claim.Epoch, time.GetUtcNow(), "delivered", note, Url: url), ct);

    /// <summary>The pull request's base: the job's base when it names a branch, else the remote's default branch.</summary>
    private async Task<string> BaseBranchAsync(JobSpec spec, string url, CancellationToken ct)
    {
        if (spec.Base is { } b && !LooksLikeSha(b))
        {
            var name = b.StartsWith("refs/heads/", StringComparison.Ordinal) ? b["refs/heads/".Length..]
                : b.StartsWith("origin/", StringComparison.Ordinal) ? b["origin/".Length..] : b;
            if (name != "HEAD")
                return name;
        }

        return await git.DefaultBranchAsync(url, ct)
            ?? throw new ForgeException($"cannot read the default branch of {Redacted(url)} for the pull request's base", null, transient: true);
    }

    private static bool LooksLikeSha(string s) => s.Length is >= 7 and <= 64 && s.All(char.IsAsciiHexDigit);

    /// <summary><c>owner/name</c> from a forge URL: its last two path segments, without <c>.git</c>.</summary>
    public static string? ForgeRepo(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var path = url.Contains("://", StringComparison.Ordinal)
            ? Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.AbsolutePath : null
            : url[(url.IndexOf(':', StringComparison.Ordinal) + 1)..];
        var parts = path?.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts is not { Length: >= 2 })
            return null;
        var name = parts[^1].EndsWith(".git", StringComparison.Ordinal) ? parts[^1][..^4] : parts[^1];
        return name.Length == 0 ? null : $"{parts[^2]}/{name}";
    }

    /// <summary>A URL fit for a log line or a reason: any user information removed.</summary>
    public static string Redacted(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0 ? url.Replace(uri.UserInfo + "@", "", StringComparison.Ordinal) : url;

    private sealed record DeliveryStep(string? Problem, bool Transient, DateTimeOffset? RetryAt)
    {
        public static readonly DeliveryStep Done = new(null, false, null);

        public static DeliveryStep Retry(string problem, DateTimeOffset? at) => new(problem, true, at);

        public static DeliveryStep Fail(string problem) => new(problem, false, null);
    }
}
