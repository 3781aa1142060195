using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Drover.Storage.Postgres.Testing;

/// <summary>
/// A throwaway PostgreSQL cluster for the test run: <c>initdb</c> in a temp directory and <c>pg_ctl start</c> on a free
/// loopback port (as the <c>postgres</c> user, or a system user created for it, when the tests run as root, since
/// PostgreSQL refuses to run as root), stopped and deleted afterwards. Each store gets a database of its own, copied
/// from a migrated template.
/// </summary>
public sealed class PostgresCluster : IAsyncLifetime
{
    private const string Template = "drover_template";
    private readonly SemaphoreSlim _create = new(1, 1);
    private string _dir = "";
    private string _bin = "";
    private string? _runAs;
    private int _databases;

    public int Port { get; private set; }

    /// <summary>The <c>postgres://</c> URL of a database, as <c>--store</c> takes it.</summary>
    public string StoreUrl(string connectionString) =>
        $"postgres://drover@127.0.0.1:{Port}/{new NpgsqlConnectionStringBuilder(connectionString).Database}";

    public string Url(string database) => $"Host=127.0.0.1;Port={Port};Username=drover;Database={database};Pooling=true;Maximum Pool Size=20;Timeout=30";

    public async ValueTask InitializeAsync()
    {
        _bin = FindBinaries() ?? throw new InvalidOperationException("PostgreSQL binaries (initdb, pg_ctl) not found on PATH or under /usr/lib/postgresql/*/bin");
        _dir = Path.Combine(Path.GetTempPath(), "drover-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_dir);
        if (Environment.IsPrivilegedProcess)
        {
            _runAs = await EnsureUserAsync();
            await RunAsync("chown", "-R", _runAs, _dir);
        }

        Port = FreePort();
        var data = Path.Combine(_dir, "data");
        await RunPgAsync("initdb", "-D", data, "-U", "drover", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions");
        await StartServerAsync("127.0.0.1");

        await using (var admin = new NpgsqlConnection(Url("postgres")))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {Template}", admin);
            await create.ExecuteNonQueryAsync();
        }

        await using (var store = await PostgresJobStore.OpenAsync(Url(Template), CancellationToken.None))
        {
        }

        NpgsqlConnection.ClearAllPools();
    }

    private Task StartServerAsync(string listen) =>
        RunPgAsync("pg_ctl", "-D", Path.Combine(_dir, "data"), "-l", Path.Combine(_dir, "server.log"), "-w", "-t", "60", "-o",
            $"-p {Port} -k {_dir} -c listen_addresses={listen} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300", "start");

    /// <summary>A fresh, migrated database; its connection string.</summary>
    public async Task<string> NewDatabaseAsync()
    {
        var name = $"t{Interlocked.Increment(ref _databases)}_{Guid.NewGuid().ToString("N")[..8]}";
        await _create.WaitAsync();
        try
        {
            // Not pooled: a pooled admin connection would be dead after RestartAsync.
            await using var admin = new NpgsqlConnection(Url("postgres") + ";Pooling=false");
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name} TEMPLATE {Template}", admin);
            await create.ExecuteNonQueryAsync();
        }
        finally
        {
            _create.Release();
        }

        return Url(name);
    }

    /// <summary><c>pg_ctl restart -m fast</c>: every connection is cut, the server is back when this returns.</summary>
    public async Task RestartAsync()
    {
        await RunPgAsync("pg_ctl", "-D", Path.Combine(_dir, "data"), "-m", "fast", "-w", "-t", "60", "-l", Path.Combine(_dir, "server.log"), "restart");
        NpgsqlConnection.ClearAllPools(); // this process's pooled connections died with the old server
    }

    /// <summary>
    /// Also listen on <paramref name="address"/> and trust connections from <paramref name="cidr"/> (an address on a
    /// link a test created); restarts the server.
    /// </summary>
    public async Task ListenAlsoOnAsync(string address, string cidr)
    {
        await File.AppendAllTextAsync(Path.Combine(_dir, "data", "pg_hba.conf"), $"\nhost all all {cidr} trust\n");
        await RunPgAsync("pg_ctl", "-D", Path.Combine(_dir, "data"), "-m", "fast", "-w", "-t", "60", "stop");
        NpgsqlConnection.ClearAllPools();
        await StartServerAsync($"127.0.0.1,{address}");
    }

    /// <summary>
    /// SIGSTOP to the server and every backend: connections stay open but nothing answers, as in a network partition
    /// that drops packets. <see cref="ThawAsync"/> resumes them.
    /// </summary>
    public Task FreezeAsync() => SignalServerAsync("-STOP");

    public Task ThawAsync() => SignalServerAsync("-CONT");

    private async Task SignalServerAsync(string signal)
    {
        var postmaster = int.Parse(File.ReadLines(Path.Combine(_dir, "data", "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);
        var pids = new List<string> { postmaster.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                // /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after the last ')'.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[1] == pids[0])
                    pids.Add(Path.GetFileName(dir));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException)
            {
                // Not a process, or gone.
            }
        }

        await RunAsync("kill", [signal, .. pids]);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_bin.Length > 0 && Directory.Exists(Path.Combine(_dir, "data")))
        {
            try
            {
                await RunPgAsync("pg_ctl", "-D", Path.Combine(_dir, "data"), "-m", "immediate", "-w", "stop");
            }
            catch (InvalidOperationException)
            {
                // Already stopped.
            }
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }

        _create.Dispose();
    }

    private static string? FindBinaries()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
                return dir;
        }

        return Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb"))).OrderDescending().FirstOrDefault()
            : null;
    }

    /// <summary>The postgres user if the machine has one, else a system user made for the tests.</summary>
    private static async Task<string> EnsureUserAsync()
    {
        if (await TryRunAsync("id", "-u", "postgres"))
            return "postgres";
        if (!await TryRunAsync("id", "-u", "drover-pg"))
            await RunAsync("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "drover-pg");
        return "drover-pg";
    }

    private Task RunPgAsync(string tool, params string[] args) =>
        _runAs is null ? RunAsync(Path.Combine(_bin, tool), args) : RunAsync("runuser", ["-u", _runAs, "--", Path.Combine(_bin, tool), .. args]);

    private static async Task<bool> TryRunAsync(string file, params string[] args)
    {
        try
        {
            await RunAsync(file, args);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {p.ExitCode}: {await stderr}{await stdout}");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
