using System.CommandLine;
using Drover.Cli.Output;
using Drover.Core;
using Drover.Core.Secrets;
using Drover.Server.Hosting;

namespace Drover.Cli.Commands;

/// <summary><c>drover secret set|get|list|rm</c>: the home's secret store (0600), used by job <c>secrets</c>.</summary>
public static class SecretCommands
{
    public static Command Create(GlobalOptions g)
    {
        var cmd = new Command("secret", "Manage named secrets in <home>/secrets (0600); a job's `secrets: [NAME]` gets them as $NAME");
        cmd.Subcommands.Add(Set(g));
        cmd.Subcommands.Add(Get(g));
        cmd.Subcommands.Add(List(g));
        cmd.Subcommands.Add(Remove(g));
        return cmd;
    }

    private static SecretStore Store(GlobalOptions.Settings s) => new(DroverHome.Resolve(s.Home).SecretsPath);

    private static Command Set(GlobalOptions g)
    {
        var name = new Argument<string>("name") { Description = "NAME (A-Z, 0-9, _)" };
        var value = new Argument<string?>("value") { Description = "The value; omit it to read one line from stdin (keeps it out of shell history)", Arity = ArgumentArity.ZeroOrOne };
        var cmd = new Command("set", "Store a secret (replaces an existing one)") { name, value };
        cmd.SetHandler(g, async (r, s, ct) =>
        {
            var text = r.GetValue(value) ?? (await Console.In.ReadLineAsync(ct))?.TrimEnd('\r')
                ?? throw new JobSpecException("value", "no value given and stdin is empty");
            Store(s).Set(r.GetValue(name)!, text);
            if (s.Json)
                Render.Json(new { name = r.GetValue(name), stored = true });
            else
                Console.WriteLine($"stored {r.GetValue(name)}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Get(GlobalOptions g)
    {
        var name = new Argument<string>("name");
        var cmd = new Command("get", "Print a secret's value") { name };
        cmd.SetHandler(g, (r, s, ct) =>
        {
            var key = r.GetValue(name)!;
            var secret = Store(s).Get(key) ?? throw new NotFoundException($"no secret named {key}");
            if (s.Json)
                Render.Json(new { name = key, value = secret });
            else
                Console.WriteLine(secret);
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }

    private static Command List(GlobalOptions g)
    {
        var cmd = new Command("list", "List secret names with masked values");
        cmd.SetHandler(g, (r, s, ct) =>
        {
            var all = Store(s).ReadAll();
            if (s.Json)
            {
                Render.Json(new { secrets = all.Select(kv => new { name = kv.Key, masked = SecretStore.Masked(kv.Value) }) });
            }
            else
            {
                foreach (var (key, secret) in all)
                    Console.WriteLine($"{key,-32} {SecretStore.Masked(secret)}");
                if (all.Count == 0)
                    Console.WriteLine("no secrets (drover secret set NAME)");
            }

            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }

    private static Command Remove(GlobalOptions g)
    {
        var name = new Argument<string>("name");
        var cmd = new Command("rm", "Delete a secret") { name };
        cmd.SetHandler(g, (r, s, ct) =>
        {
            var key = r.GetValue(name)!;
            if (!Store(s).Remove(key))
                throw new NotFoundException($"no secret named {key}");
            if (s.Json)
                Render.Json(new { name = key, removed = true });
            else
                Console.WriteLine($"removed {key}");
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }
}
