using System.Text.Json;
using Drover.IntegrationTests;
using Drover.IntegrationTests.Gateway;
using Microsoft.Playwright;

namespace Drover.Dashboard.Tests;

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardFixture>
{
    public const string Name = "dashboard";
}

/// <summary>
/// One real `drover serve` (SQLite, two local slots) and one headless Debian Chromium shared by the dashboard tests;
/// each test gets its own browser context (its own cookie jar) and logs in through `drover dashboard`.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    private BackgroundProcess? _serve;
    private IPlaywright? _playwright;
    private FakeUpstream? _upstream;

    public TestHome Home { get; } = new();
    public string Url { get; private set; } = "";
    private IBrowser? _browser;

    /// <summary>Why there is no browser (Chromium missing and not installable here), or null.</summary>
    public string? NoBrowserReason { get; private set; }

    /// <summary>The shared headless browser; a test that needs it is skipped, with the reason, on a host without Chromium.</summary>
    public IBrowser Browser => _browser ?? throw SkipNoBrowser();

    /// <summary>Where screenshots go: $DROVER_TEST_ARTIFACTS, else artifacts/ beside the test binaries.</summary>
    public string Artifacts { get; } = Environment.GetEnvironmentVariable("DROVER_TEST_ARTIFACTS") is { Length: > 0 } dir
        ? Path.GetFullPath(dir)
        : Path.Combine(AppContext.BaseDirectory, "artifacts");

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            NoBrowserReason = $"{ChromiumPath} is missing (./test.sh installs it when run as root with apt-get: apt-get install -y chromium)";
        Directory.CreateDirectory(Artifacts);
        // Jobs run real processes on a shared machine: give page assertions time to see them finish.
        Assertions.SetDefaultExpectTimeout(30_000);
        // A priced model provider on 127.0.0.1 behind the gateway, so usage, providers and spend have something to show.
        _upstream = await FakeUpstream.StartAsync("alpha");
        await File.WriteAllTextAsync(Path.Combine(Home.Home, "drover.toml"), $$"""
            [gateway]
            enabled = true

            [[providers]]
            name = "alpha"
            base_url = "{{_upstream.BaseUrl}}"
            models = ["model-alpha"]
            price = { input = 2.0, cached_input = 0.5, output = 8.0 }
            rpm = 100

            [budgets]
            daily_usd = 5.0
            """);
        _serve = Home.Cli.Start("serve", "--port", "0", "--slots", "2", "--heartbeat", "1s", "--lease-ttl", "5s");
        Url = (await Home.WaitForServerAsync(_serve, TimeSpan.FromSeconds(60))).TrimEnd('/');
        if (NoBrowserReason is not null)
            return;
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
            await _browser.CloseAsync();
        _playwright?.Dispose();
        if (_serve is not null)
            await _serve.DisposeAsync();
        if (_upstream is not null)
            await _upstream.DisposeAsync();
        Home.Dispose();
    }

    private InvalidOperationException SkipNoBrowser()
    {
        Assert.Skip("no browser: " + NoBrowserReason);
        return new InvalidOperationException("unreachable");
    }

    /// <summary>The link `drover dashboard` prints for this home's running server.</summary>
    public async Task<string> LoginLinkAsync()
    {
        var r = await Home.Cli.RunAsync("dashboard");
        r.ExitCode.ShouldBe(0, r.ToString());
        var link = r.Stdout.Trim();
        link.ShouldStartWith(Url + "/login?code=");
        link.ShouldNotContain(Home.Token);
        return link;
    }

    /// <summary>A fresh browser context logged in through the printed link, on the overview.</summary>
    public async Task<DashboardSession> LoginAsync(int width = 1280, int height = 800)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        var session = new DashboardSession(context, await context.NewPageAsync(), Url);
        await session.Page.GotoAsync(await LoginLinkAsync());
        await Assertions.Expect(session.Page.Locator("h1")).ToHaveTextAsync("Overview");
        return session;
    }

    /// <summary>`drover submit` of a shell job from the scratch directory; returns its id.</summary>
    public async Task<long> SubmitAsync(string title, string command, params string[] extra)
    {
        var r = await Home.Cli.RunInAsync(Home.Scratch, ["submit", title, "--command", command, "--json", .. extra]);
        r.ExitCode.ShouldBe(0, r.ToString());
        return r.Json.GetProperty("id").GetInt64();
    }

    /// <summary>One chat call through the gateway's /v1 with the API token: it is booked as spend for provider alpha.</summary>
    public async Task ChatThroughGatewayAsync()
    {
        using var http = Home.Http(Url);
        using var body = new StringContent("""{"model": "model-alpha", "messages": [{"role": "user", "content": "hi"}]}""", System.Text.Encoding.UTF8, "application/json");
        using var resp = await http.PostAsync(new Uri("/v1/chat/completions", UriKind.Relative), body, TestContext.Current.CancellationToken);
        resp.EnsureSuccessStatusCode();
    }

    public Task<JsonElement> WaitForJobAsync(long id, string state, int seconds = 30) =>
        Home.WaitForJobAsync(id, j => j.GetProperty("state").GetString() == state, TimeSpan.FromSeconds(seconds));

    public async Task ScreenshotAsync(IPage page, string name)
    {
        var path = Path.Combine(Artifacts, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.Current.TestOutputHelper?.WriteLine("screenshot: " + path);
    }
}

/// <summary>A logged-in browser context, recording the URL of every request its pages make.</summary>
public sealed class DashboardSession : IAsyncDisposable
{
    private readonly List<string> _requests = [];

    public DashboardSession(IBrowserContext context, IPage page, string url)
    {
        Context = context;
        Page = page;
        Origin = url;
        context.Request += (_, request) =>
        {
            lock (_requests)
                _requests.Add(request.Url);
        };
    }

    public IBrowserContext Context { get; }
    public IPage Page { get; }
    public string Origin { get; }

    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_requests)
                return [.. _requests];
        }
    }

    /// <summary>Every request so far went to the Drover server (http://127.0.0.1:PORT), nowhere else.</summary>
    public void ShouldOnlyHaveTalkedToDrover()
    {
        var requests = Requests;
        requests.ShouldNotBeEmpty();
        requests.Where(u => !u.StartsWith(Origin + "/", StringComparison.Ordinal)).ShouldBeEmpty("every request goes to " + Origin);
    }

    public async ValueTask DisposeAsync() => await Context.CloseAsync();
}
