namespace Drover.Engines.Sandbox;

/// <summary>The environment an agent starts from (SPEC §13): nothing of the worker's but what a program needs to run.</summary>
public static class SandboxEnvironment
{
    private static readonly string[] Kept = ["PATH", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TERM", "COLORTERM", "NO_COLOR"];

    /// <summary>PATH, locale, terminal and identity from the worker; HOME = the run home; TMPDIR = /tmp; plus <paramref name="passEnv"/>.</summary>
    public static Dictionary<string, string?> Base(IEnumerable<string> passEnv, string runHome)
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        var mine = Environment.GetEnvironmentVariables();
        foreach (System.Collections.DictionaryEntry e in mine)
        {
            var name = (string)e.Key;
            if (Kept.Contains(name, StringComparer.Ordinal) || name.StartsWith("LC_", StringComparison.Ordinal))
                env[name] = (string?)e.Value;
        }

        env.TryAdd("PATH", "/usr/local/bin:/usr/bin:/bin");
        foreach (var name in passEnv)
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
                env[name] = value;
        }

        env["HOME"] = runHome;
        env["TMPDIR"] = "/tmp";
        return env;
    }
}
