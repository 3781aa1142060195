using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Drover.Core.Secrets;

/// <summary>
/// Named secrets in <c>&lt;home&gt;/secrets</c> (SPEC §10): a JSON object, mode 0600, replaced atomically (a 0600 temp
/// file renamed over it) under an exclusive lock file, so concurrent writers never lose each other's changes and a
/// reader never sees half a file. Values never leave through <see cref="Masked"/>.
/// </summary>
public sealed partial class SecretStore(string path)
{
    /// <summary>Values longer than this are refused (a key or token, not a file).</summary>
    public const int MaxValueBytes = 64 * 1024;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public string Path { get; } = path;

    /// <summary>Environment-variable style, so a job's <c>secrets: [NAME]</c> becomes <c>$NAME</c>.</summary>
    [GeneratedRegex("^[A-Z_][A-Z0-9_]{0,63}$")]
    private static partial Regex NamePattern();

    public static string? NameProblem(string name) =>
        NamePattern().IsMatch(name) ? null : $"\"{name}\" is not a secret name (A-Z, 0-9 and _, not starting with a digit, at most 64)";

    public static string? ValueProblem(string value) =>
        value.Length == 0 ? "the value is empty"
        : SecretMasker.LengthProblem(value) is { } tooShort ? tooShort
        : value.Contains('\0', StringComparison.Ordinal) ? "the value contains a NUL character"
        : Encoding.UTF8.GetByteCount(value) > MaxValueBytes ? "the value is over 64 KiB"
        : null;

    public IReadOnlyDictionary<string, string> ReadAll()
    {
        if (!File.Exists(Path))
            return new SortedDictionary<string, string>(StringComparer.Ordinal);
        try
        {
            return JsonSerializer.Deserialize<SortedDictionary<string, string>>(File.ReadAllText(Path, Encoding.UTF8), Json)
                ?? new SortedDictionary<string, string>(StringComparer.Ordinal);
        }
        catch (JsonException e)
        {
            throw new DroverException($"{Path} is not a valid secrets file: {e.Message}");
        }
    }

    public string? Get(string name) => ReadAll().TryGetValue(name, out var v) ? v : null;

    /// <summary>
    /// A credential drover.toml names either way: the environment variable <paramref name="env"/> when given, else the
    /// secret <paramref name="name"/>; null when neither is given or set.
    /// </summary>
    public string? Lookup(string? env, string? name) =>
        env is not null ? Environment.GetEnvironmentVariable(env) : name is not null ? Get(name) : null;

    public void Set(string name, string value)
    {
        if (NameProblem(name) is { } bad)
            throw new JobSpecException("name", bad);
        if (ValueProblem(value) is { } badValue)
            throw new JobSpecException("value", badValue);
        Update(all => all[name] = value);
    }

    /// <summary>Removes <paramref name="name"/>; false when there was no such secret.</summary>
    public bool Remove(string name)
    {
        var removed = false;
        Update(all => removed = all.Remove(name));
        return removed;
    }

    /// <summary>"sk-…wxyz" for long values, "****" for short ones: enough to tell secrets apart, never enough to use one.</summary>
    public static string Masked(string value) => value.Length >= 16 ? $"{value[..3]}…{value[^4..]}" : "****";

    private void Update(Action<SortedDictionary<string, string>> change)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;
        Directory.CreateDirectory(dir);
        using var gate = Lock(Path + ".lock");
        var all = new SortedDictionary<string, string>(ReadAll().ToDictionary(), StringComparer.Ordinal);
        change(all);
        var temp = Path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, options))
        {
            stream.Write(JsonSerializer.SerializeToUtf8Bytes(all, Json));
            stream.Flush(flushToDisk: true);
        }

        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, Path, overwrite: true);
    }

    private static FileStream Lock(string lockPath)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
                if (!OperatingSystem.IsWindows())
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                return new FileStream(lockPath, options);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
        }
    }
}
