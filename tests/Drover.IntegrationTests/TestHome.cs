using System.Net.Http.Headers;
using System.Text.Json;

namespace Drover.IntegrationTests;

/// <summary>A throwaway Drover home plus a scratch directory, removed afterwards.</summary>
public sealed class TestHome : IDisposable
{
    public TestHome()
    {
        Root = Path.Combine(Path.GetTempPath(), "drover-it-" + Guid.NewGuid().ToString("N")[..10]);
        Home = Path.Combine(Root, "home");
        Scratch = Path.Combine(Root, "scratch");
        Directory.CreateDirectory(Home);
        Directory.CreateDirectory(Scratch);
        Cli = new DroverCli(Home);
    }

    public string Root { get; }
    public string Home { get; }

    /// <summary>A non-git directory jobs run in (and write their side effects to).</summary>
    public string Scratch { get; }

    public DroverCli Cli { get; }

    public string Token => File.ReadAllText(Path.Combine(Home, "token")).Trim();

    /// <summary>Waits for a `serve` of this home to publish its URL.</summary>
    public async Task<string> WaitForServerAsync(BackgroundProcess serve, TimeSpan timeout)
    {
        var info = Path.Combine(Home, "server.json");
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(info))
            {
                try
                {
                    using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(info));
                    return doc.RootElement.GetProperty("url").GetString()!;
                }
                catch (JsonException)
                {
                }
            }

            if (serve.Process.HasExited)
                throw new InvalidOperationException("serve exited early:\n" + serve.Output);
            await Task.Delay(100);
        }

        throw new TimeoutException("serve did not start:\n" + serve.Output);
    }

    public HttpClient Http(string url, bool withToken = true)
    {
        var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
        if (withToken)
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return http;
    }

    /// <summary>Polls `show --json` until <paramref name="until"/> holds.</summary>
    public async Task<JsonElement> WaitForJobAsync(long id, Func<JsonElement, bool> until, TimeSpan timeout, params string[] extra)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            var r = await Cli.RunAsync(["show", id.ToString(), "--json", .. extra]);
            if (r.ExitCode == 0)
            {
                last = r.Json;
                if (until(last))
                    return last;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"job {id} did not reach the expected state; last: {last}");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
