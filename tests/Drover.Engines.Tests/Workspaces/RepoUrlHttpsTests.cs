using System.Text;
using System.Text.Json;
using Drover.Core.Configuration;
using Drover.Core.Secrets;
using Drover.Core.Storage;
using Drover.Engines.Attempts;
using Drover.Engines.Tests.Attempts;
using Drover.Engines.Tests.Support;
using Drover.Engines.Workspaces;

namespace Drover.Engines.Tests.Workspaces;

/// <summary>
/// A URL repo over git's smart HTTP (TLS, 127.0.0.1) that requires the forge token: Drover's own git fetches
/// with the token from the secret store, and the token is in none of the files the job leaves nor its events.
/// </summary>
public sealed class RepoUrlHttpsTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly AttemptHarness _harness = new();
    private readonly string _token = "gta_" + Guid.NewGuid().ToString("N");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunAsync_HttpsUrlOfAForge_FetchesWithTheStoredTokenAndLeavesItNowhere()
    {
        await using var server = await StartServerAsync();
        var url = server.BaseUrl + "/owner/project.git";
        var secrets = new SecretStore(_dir.Combine("secrets"));
        secrets.Set("FORGE_TOKEN", _token);
        ForgeConfig[] forges = [new() { Host = "127.0.0.1", Kind = "gitea", BaseUrl = new Uri(server.BaseUrl), TokenSecret = "FORGE_TOKEN" }];
        var mirrors = new RepoMirrors(new RemoteGit(forges, secrets));
        _harness.Runner = new ShellAttemptRunner(workspaces: new GitWorkspaces(mirrors: mirrors), secrets: secrets);

        // Submit has no token here: the remote refuses it, so the base is left to the claim.
        var spec = await _harness.SpecAsync(AttemptHarness.Shell(
            "env > agent-env.txt; git config --list --show-origin > agent-git-config.txt 2>&1; echo changed >> README.md",
            $"\"repo\": {AttemptHarness.Quote(url)}"));
        spec.Base.ShouldBeNull();
        server.Refused.ShouldBeGreaterThan(0);

        var report = await _harness.RunAsync(spec);

        report.Outcome.ShouldBe(AttemptOutcome.Success());
        server.Authorized.ShouldBeGreaterThan(0);
        var mirror = RepoMirrors.MirrorPath(_harness.Home, url);
        Git.Run(mirror, "show", "drover/1:README.md").ShouldBe("hello\nchanged");
        var agentEnv = File.ReadAllText(Path.Combine(_harness.Worktree(), "agent-env.txt"));
        agentEnv.ShouldNotContain("DROVER_GIT_TOKEN");
        File.ReadAllText(Path.Combine(mirror, "config")).ShouldNotContain("helper");

        var leaks = Directory.EnumerateFiles(_harness.Home, "*", SearchOption.AllDirectories)
            .Where(f => Contains(File.ReadAllBytes(f), _token))
            .ToList();
        leaks.ShouldBeEmpty();
        _harness.Sink.Progress.ShouldAllBe(p => !p.Contains(_token, StringComparison.Ordinal));
        JsonSerializer.Serialize(report).ShouldNotContain(_token);
    }

    [Fact]
    public async Task PrepareAsync_HttpsUrlWithNoForgeConfigured_FailsAtTheRemoteWithoutPrompting()
    {
        await using var server = await StartServerAsync();

        var e = await Should.ThrowAsync<WorkspaceException>(
            () => new GitWorkspaces().PrepareAsync(server.BaseUrl + "/owner/project.git", _harness.Home, 1, null, Ct));

        e.Message.ShouldContain("git fetch");
        server.Authorized.ShouldBe(0);
    }

    [Fact]
    public async Task PrepareAsync_ForgeSecretNotSet_FailsNamingTheSecret()
    {
        await using var server = await StartServerAsync();
        ForgeConfig[] forges = [new() { Host = "127.0.0.1", Kind = "github", TokenSecret = "MISSING_TOKEN" }];
        var mirrors = new RepoMirrors(new RemoteGit(forges, new SecretStore(_dir.Combine("empty-secrets"))));

        var e = await Should.ThrowAsync<WorkspaceException>(
            () => new GitWorkspaces(mirrors: mirrors).PrepareAsync(server.BaseUrl + "/owner/project.git", _harness.Home, 1, null, Ct));

        e.Message.ShouldContain("the secret \"MISSING_TOKEN\"");
    }

    private async Task<GitHttpsServer> StartServerAsync()
    {
        var root = _dir.Dir("srv");
        Git.Run(root, "clone", "--quiet", "--bare", _harness.Repo, Path.Combine(root, "owner", "project.git"));
        var server = await GitHttpsServer.StartAsync(root, _token, _dir.Path, Ct);
        // Trust the test's self-signed certificate (the git Drover runs inherits this process's environment).
        Environment.SetEnvironmentVariable("GIT_SSL_CAINFO", server.CaFile);
        return server;
    }

    private static bool Contains(byte[] haystack, string needle) =>
        haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0;

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("GIT_SSL_CAINFO", null);
        _harness.Dispose();
        _dir.Dispose();
    }
}
