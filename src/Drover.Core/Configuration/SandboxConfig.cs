namespace Drover.Core.Configuration;

/// <summary>Whether attempts run confined (SPEC §13).</summary>
public enum SandboxMode
{
    /// <summary>Confined where the host can do it (bubblewrap works); unconfined elsewhere, which <c>doctor</c> reports.</summary>
    Auto,

    /// <summary>Always confined: a host that cannot confine claims nothing, and <c>why</c> says so.</summary>
    Required,

    /// <summary>Never confined: agents run as Drover's user with the whole system in view.</summary>
    Off,
}

/// <summary>What a confined attempt may reach over the network; the order is from most to least open.</summary>
public enum SandboxNetwork
{
    /// <summary>The host's network, like any process of Drover's user.</summary>
    Open,

    /// <summary>Only Drover's gateway (<c>/v1</c>), relayed into a network namespace that has nothing but loopback.</summary>
    Gateway,

    /// <summary>Nothing: a network namespace with only its own loopback.</summary>
    None,
}

/// <summary><c>[sandbox]</c>: how attempts are confined (SPEC §13).</summary>
public sealed record SandboxConfig
{
    public SandboxMode Mode { get; init; } = SandboxMode.Auto;

    /// <summary>The network of a confined attempt; null = <c>gateway</c> for engines that use the gateway, else <c>open</c>.</summary>
    public SandboxNetwork? Network { get; init; }

    /// <summary>Paths the agent sees read-only, beyond the system (<c>~</c> is the user's home).</summary>
    public IReadOnlyList<string> ReadOnly { get; init; } = [];

    /// <summary>Paths the agent may write, beyond its worktree and run home.</summary>
    public IReadOnlyList<string> ReadWrite { get; init; } = [];

    /// <summary>Variables of the worker's environment the agent gets as they are (the rest never reach it).</summary>
    public IReadOnlyList<string> PassEnv { get; init; } = [];

    /// <summary>The bubblewrap binary.</summary>
    public string Bubblewrap { get; init; } = "/usr/bin/bwrap";

    public static SandboxNetwork? ParseNetwork(string? text) => text switch
    {
        null => null,
        "gateway" => SandboxNetwork.Gateway,
        "none" => SandboxNetwork.None,
        "open" => SandboxNetwork.Open,
        _ => throw new FormatException($"\"{text}\" is not one of gateway, none, open"),
    };

    public static string Name(SandboxNetwork network) => network switch
    {
        SandboxNetwork.Gateway => "gateway",
        SandboxNetwork.None => "none",
        _ => "open",
    };
}

public static partial class DroverConfigLoader
{
    private static SandboxConfig Sandbox(TomlSection? s)
    {
        if (s is null)
            return new SandboxConfig();
        s.AllowOnly("mode", "network", "read_only", "read_write", "pass_env", "bwrap");
        SandboxNetwork? network;
        try
        {
            network = SandboxConfig.ParseNetwork(s.String("network"));
        }
        catch (FormatException e)
        {
            throw s.Error("network", e.Message);
        }

        var passEnv = s.StringList("pass_env") ?? [];
        foreach (var name in passEnv)
        {
            if (name.Length == 0 || name.Contains('=', StringComparison.Ordinal))
                throw s.Error("pass_env", $"\"{name}\" is not a variable name");
        }

        return new SandboxConfig
        {
            Mode = s.String("mode") switch
            {
                null or "auto" => SandboxMode.Auto,
                "required" => SandboxMode.Required,
                "off" => SandboxMode.Off,
                var other => throw s.Error("mode", $"\"{other}\" is not one of auto, required, off"),
            },
            Network = network,
            ReadOnly = Paths(s, "read_only"),
            ReadWrite = Paths(s, "read_write"),
            PassEnv = passEnv,
            Bubblewrap = s.String("bwrap") ?? "/usr/bin/bwrap",
        };
    }

    private static List<string> Paths(TomlSection s, string key)
    {
        var paths = new List<string>();
        foreach (var raw in s.StringList(key) ?? [])
        {
            var path = raw == "~" || raw.StartsWith("~/", StringComparison.Ordinal)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), raw.Length > 2 ? raw[2..] : "")
                : raw;
            if (!Path.IsPathFullyQualified(path))
                throw s.Error(key, $"\"{raw}\" is not an absolute path (or ~/...)");
            paths.Add(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)));
        }

        return paths;
    }
}
