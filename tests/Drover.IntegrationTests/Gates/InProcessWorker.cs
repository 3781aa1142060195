using System.Diagnostics;
using System.Text.Json.Nodes;
using Drover.Cli;
using Drover.Server.Jobs;
using Drover.Server.Supervision;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.IntegrationTests.Gates;

/// <summary>A test home's store and service opened in the test process, and a real worker (real shell, real git) over them.</summary>
public sealed class InProcessWorker : IAsyncDisposable
{
    private CancellationTokenSource? _stop;
    private Task? _run;
    private WorkerHost? _host;

    private InProcessWorker(Runtime rt) => Runtime = rt;

    public Runtime Runtime { get; }

    public static async Task<InProcessWorker> OpenAsync(string home) =>
        new(await Runtime.OpenAsync(new GlobalOptions.Settings(home, null, false, null, null), TestContext.Current.CancellationToken));

    /// <summary>Options as `drover worker` reads them from drover.toml, with a 1 s heartbeat.</summary>
    public WorkerOptions Options(string name, int slots) => new()
    {
        Name = name,
        Home = Runtime.Home,
        Slots = slots,
        Heartbeat = TimeSpan.FromSeconds(1),
        MinFreeMemoryBytes = Runtime.Config.Fleet.MinFreeMemoryBytes,
        MinFreeDiskBytes = Runtime.Config.Fleet.MinFreeDiskBytes,
        KeepWorkspaces = Runtime.Config.Workspaces.Keep,
    };

    public void Start(WorkerOptions options)
    {
        _stop = new CancellationTokenSource();
        _host = new WorkerHost(Runtime.Store, Runtime.CreateRunner(NullLoggerFactory.Instance, Runtime.Config, Runtime.Home), options, TimeProvider.System, NullLogger.Instance);
        _run = _host.RunAsync(_stop.Token);
    }

    public async Task StopAsync()
    {
        if (_stop is null)
            return;
        await _stop.CancelAsync();
        await _run!;
        _host!.Dispose();
        _stop.Dispose();
        (_stop, _run, _host) = (null, null, null);
    }

    public async Task<long> SubmitAsync(string json, string cwd) =>
        (await Runtime.Jobs.SubmitAsync(new SubmitRequest(JsonNode.Parse(json)!.AsObject(), null, null, cwd), TestContext.Current.CancellationToken)).Job.Id;

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string>? what = null)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (await condition())
                return;
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        throw new TimeoutException("condition not met in time" + (what is null ? "" : ": " + what()));
    }

    public static string Git(string cwd, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = cwd };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"git {string.Join(' ', args)}: {error}");
        return output;
    }

    /// <summary>A git repo with one commit.</summary>
    public static string NewRepo(string root)
    {
        var repo = Path.Combine(root, "repo");
        Directory.CreateDirectory(repo);
        Git(repo, "init", "-q", "-b", "main");
        Git(repo, "config", "user.email", "test@example.com");
        Git(repo, "config", "user.name", "test");
        File.WriteAllText(Path.Combine(repo, "README"), "hello\n");
        Git(repo, "add", "-A");
        Git(repo, "commit", "-q", "-m", "init");
        return repo;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await Runtime.DisposeAsync();
    }
}
