using System.CommandLine;
using System.Diagnostics;
using Drover.Cli.Output;
using Drover.Core;
using Drover.Core.Access;
using Drover.Server.Dashboard;
using Drover.Server.Hosting;

namespace Drover.Cli.Commands;

/// <summary>
/// `drover dashboard`: a login link for the running server's web dashboard. The code in it is minted here from the
/// token file (<see cref="DashboardLogin"/>), so the link works without asking the server and never carries the token.
/// </summary>
public static class DashboardCommand
{
    public static Command Create(GlobalOptions g)
    {
        var open = new Option<bool>("--open") { Description = "Also open the link with xdg-open when this machine has it" };
        var logoutAll = new Option<bool>("--logout-all") { Description = "Instead, sign every browser out of this home's dashboard (their session cookies stop working)" };
        var cmd = new Command("dashboard", "Print a login link for the web dashboard (valid 10 minutes, once; the browser then keeps a 7-day session cookie)") { open, logoutAll };
        cmd.SetHandler(g, (r, s, ct) =>
        {
            var home = DroverHome.Resolve(s.Home);
            if (r.GetValue(logoutAll))
                return Task.FromResult(LogoutAll(home, s.Json));
            var url = s.Url ?? Runtime.DiscoverServer(home)
                ?? throw new ServerUnreachableException($"no running Drover server for {home.Root} (start `drover serve`, or pass --url)");
            var token = s.Token ?? home.ReadToken()
                ?? throw new NotFoundException($"no token at {home.TokenPath} (run `drover init` or `drover serve` first)");
            var now = DateTimeOffset.UtcNow;
            var link = url.TrimEnd('/') + "/login?code=" + Uri.EscapeDataString(DashboardLogin.MintCode(token, now));
            var opened = r.GetValue(open) && TryOpen(link);
            if (s.Json)
            {
                Render.Json(new { url = link, expires_at = now + DashboardLogin.CodeLifetime, opened });
                return Task.FromResult(ExitCodes.Ok);
            }

            Console.WriteLine(link);
            Console.Error.WriteLine("open it in a browser on this machine within 10 minutes; it logs in once, for 7 days");
            if (r.GetValue(open) && !opened)
                Console.Error.WriteLine("could not open a browser (no xdg-open); copy the link instead");
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }

    /// <summary>Moves the home's session generation on: every cookie minted before stops working, served or not.</summary>
    private static int LogoutAll(DroverHome home, bool json)
    {
        if (!File.Exists(home.TokenPath))
            throw new NotFoundException($"no token at {home.TokenPath}: this home has no dashboard sessions (check --home)");
        var generation = DashboardSessions.LogoutAll(home, DateTimeOffset.UtcNow);
        if (json)
            Render.Json(new { logged_out = true, generation });
        else
            Console.WriteLine("drover: every dashboard session of this home has ended; run `drover dashboard` to log in again");
        return ExitCodes.Ok;
    }

    /// <summary>Hands the link to xdg-open, if this machine has one, without waiting for the browser.</summary>
    private static bool TryOpen(string link)
    {
        var xdg = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "xdg-open"))
            .FirstOrDefault(File.Exists);
        if (xdg is null)
            return false;
        try
        {
            var psi = new ProcessStartInfo(xdg) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add(link);
            using var p = Process.Start(psi);
            return p is not null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
