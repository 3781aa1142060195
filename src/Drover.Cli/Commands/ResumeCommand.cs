using System.CommandLine;
using Drover.Cli.Output;

namespace Drover.Cli.Commands;

/// <summary>`drover resume`: resume claiming fleet-wide, or with --engine clear one engine's breaker and usage-limit gate.</summary>
public static class ResumeCommand
{
    public static Command Create(GlobalOptions g)
    {
        var engine = new Option<string?>("--engine")
        {
            Description = "Clear this engine's failure-rate breaker (and usage-limit gate) instead of the fleet pause",
        };
        var cmd = new Command("resume", "Resume claiming (with --engine: let that engine's jobs be claimed again)") { engine };
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            var name = r.GetValue(engine);
            if (name is not null && string.IsNullOrWhiteSpace(name))
                throw new ArgumentException("--engine: name an engine, e.g. --engine claude");
            var (api, owner) = await Runtime.ConnectAsync(s, ct);
            await using (owner)
            {
                if (name is null)
                {
                    await api.SetPausedAsync(false, ct);
                    if (s.Json)
                        Render.Json(await api.StatusAsync(ct));
                    else
                        Console.WriteLine("fleet resumed");
                    return ExitCodes.Ok;
                }

                var resumed = await api.ResumeEngineAsync(name.Trim(), ct);
                if (s.Json)
                    Render.Json(new Server.Jobs.EngineResumeView(name.Trim(), resumed));
                else
                    Console.WriteLine(resumed ? $"engine {name.Trim()} resumed" : $"engine {name.Trim()} was not stopped (no breaker or gate held it)");
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }
}
