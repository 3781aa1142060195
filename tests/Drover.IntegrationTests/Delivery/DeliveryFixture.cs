using System.Text.Json;
using Drover.Engines.Tests.Support;
using Drover.IntegrationTests.Forges;
using Drover.IntegrationTests.Gates;

namespace Drover.IntegrationTests.Delivery;

/// <summary>
/// A home whose jobs deliver to a real git remote over smart HTTP with TLS on 127.0.0.1 (<c>git http-backend</c>,
/// token required) and open pull requests on a fake GitHub, the token of both in the secret store. Serve runs with
/// the remote's CA trusted through GIT_SSL_CAINFO.
/// </summary>
public sealed class DeliveryFixture : IAsyncDisposable
{
    private DeliveryFixture(TestHome home, FakeForge forge, GitHttpsServer git, string bare)
    {
        Home = home;
        Forge = forge;
        Git = git;
        Bare = bare;
    }

    public TestHome Home { get; }
    public FakeForge Forge { get; }
    public GitHttpsServer Git { get; }

    /// <summary>The remote's bare repository on disk (served as <see cref="Url"/>).</summary>
    public string Bare { get; }

    public string Url => Git.BaseUrl + "/acme/app.git";

    public const string Repo = "acme/app";

    /// <param name="kind">The forge's kind: <c>github</c> or <c>gitea</c>.</param>
    public static async Task<DeliveryFixture> StartAsync(string extraConfig = "", string kind = "github", CancellationToken ct = default)
    {
        var t = new TestHome();
        FakeForge forge = kind == "gitea" ? await FakeGitea.StartNewAsync() : await FakeGitHub.StartNewAsync();
        var source = InProcessWorker.NewRepo(t.Scratch);
        var root = Path.Combine(t.Scratch, "git");
        var bare = Path.Combine(root, "acme", "app.git");
        Directory.CreateDirectory(Path.GetDirectoryName(bare)!);
        InProcessWorker.Git(t.Scratch, "clone", "-q", "--bare", source, bare);
        var git = await GitHttpsServer.StartAsync(root, forge.Token, t.Scratch, ct);
        await File.WriteAllTextAsync(Path.Combine(t.Home, "drover.toml"), $$"""
            [[forges]]
            host = "127.0.0.1"
            kind = "{{kind}}"
            base_url = "{{forge.BaseUrl}}"
            token_secret = "FORGE_TOKEN"

            [delivery]
            link = "https://drover.example.com/#/jobs/{id}"
            backoff = "1s"
            {{extraConfig}}
            """, ct);
        (await t.Cli.RunAsync("secret", "set", "FORGE_TOKEN", forge.Token)).ExitCode.ShouldBe(0);
        t.Cli.Env["GIT_SSL_CAINFO"] = git.CaFile;
        return new DeliveryFixture(t, forge, git, bare);
    }

    /// <summary>Adds to drover.toml (before serve starts).</summary>
    public Task AppendConfigAsync(string toml) => File.AppendAllTextAsync(Path.Combine(Home.Home, "drover.toml"), "\n" + toml + "\n");

    public async Task<BackgroundProcess> ServeAsync()
    {
        var serve = Home.Cli.Start("serve", "--port", "0", "--slots", "2");
        await Home.WaitForServerAsync(serve, TimeSpan.FromSeconds(60));
        return serve;
    }

    /// <summary>Submits a shell job on the remote's URL; returns its id.</summary>
    public async Task<long> SubmitAsync(params string[] args)
    {
        var r = await Home.Cli.RunInAsync(Home.Scratch, ["submit", "--repo", Url, "--json", .. args]);
        r.ExitCode.ShouldBe(0, r.ToString());
        return r.Json.GetProperty("id").GetInt64();
    }

    public Task<JsonElement> WaitForDeliveryAsync(long id, params string[] states) =>
        Home.WaitForJobAsync(
            id,
            j => j.TryGetProperty("delivery", out var d) && d.ValueKind == JsonValueKind.Object && states.Contains(d.GetProperty("state").GetString()),
            TimeSpan.FromSeconds(120));

    /// <summary>The sha of <paramref name="branch"/> on the remote, or null.</summary>
    public string? RemoteSha(string branch)
    {
        try
        {
            return InProcessWorker.Git(Bare, "rev-parse", "--verify", "--quiet", $"refs/heads/{branch}").Trim();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Files under the home, but the secret store itself, that hold <paramref name="secret"/>, as relative paths.</summary>
    public List<string> FilesHolding(string secret)
    {
        var needle = System.Text.Encoding.UTF8.GetBytes(secret);
        var store = Path.Combine(Home.Home, "secrets");
        return [.. Directory.EnumerateFiles(Home.Home, "*", SearchOption.AllDirectories)
            .Where(f => f != store && !f.EndsWith("serve.lock", StringComparison.Ordinal) && File.ReadAllBytes(f).AsSpan().IndexOf(needle) >= 0)
            .Select(f => Path.GetRelativePath(Home.Home, f))];
    }

    public async ValueTask DisposeAsync()
    {
        await Git.DisposeAsync();
        await Forge.DisposeAsync();
        Home.Dispose();
    }
}
