using System.Text.Json;

namespace Drover.Core.Secrets;

/// <summary>
/// Whether <c>&lt;home&gt;/secrets</c> can be used: checked when serve starts, by <c>drover doctor</c> and by the
/// gateway before it looks a provider key up. Says what is wrong and where, never a value.
/// </summary>
public static class SecretsFileCheck
{
    /// <summary>Null when the file is absent or a valid secrets file; otherwise the problem, naming the file.</summary>
    public static string? Problem(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            if (!File.Exists(path))
                return null;
            bytes = File.ReadAllBytes(path);
        }
        catch (UnauthorizedAccessException)
        {
            return $"the secrets file {path} cannot be read: permission denied";
        }
        catch (IOException e)
        {
            return $"the secrets file {path} cannot be read: {e.Message}";
        }

        try
        {
            using var doc = JsonDocument.Parse(bytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                return $"the secrets file {path} is not a JSON object of NAME: \"value\" pairs";
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                    return $"the secrets file {path} is damaged: the value of secret {p.Name} is not a string";
            }
        }
        catch (JsonException e)
        {
            // The parser's own message can quote a character of the file: only the position is given.
            var line = (e.LineNumber ?? 0) + 1;
            var at = (e.BytePositionInLine ?? 0) + 1;
            return $"the secrets file {path} is damaged: not valid JSON at line {line}, byte {at}";
        }

        return null;
    }
}
