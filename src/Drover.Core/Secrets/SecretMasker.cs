using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Drover.Core.Secrets;

/// <summary>
/// Replaces every recorded form of a job's secrets with <c>[secret NAME]</c>: the raw value, the value as JSON writers
/// escape it (System.Text.Json's default and relaxed encoders, JavaScript's and Python's), URL-encoded and base64.
/// Output is recorded one line at a time, so each line of a multi-line secret that is at least
/// <see cref="MinLength"/> characters long is masked on its own too (in every form); shorter lines are not, which is
/// why values under <see cref="MinLength"/> are refused.
/// </summary>
public sealed class SecretMasker
{
    /// <summary>The shortest secret value Drover accepts: a shorter one would mask ordinary words, or leak.</summary>
    public const int MinLength = 8;

    private static readonly JavaScriptEncoder Relaxed = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    // Longest first, so a whole value is masked before one of its lines or a shorter form inside it.
    private readonly (string Form, string Mask)[] _forms;

    public SecretMasker(IEnumerable<KeyValuePair<string, string>> secrets)
    {
        var forms = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in secrets)
        {
            var mask = $"[secret {name}]";
            foreach (var part in Parts(value))
            {
                foreach (var form in FormsOf(part))
                {
                    if (form.Length >= MinLength)
                        forms.TryAdd(form, mask);
                }
            }
        }

        _forms = [.. forms.Select(f => (f.Key, f.Value)).OrderByDescending(f => f.Key.Length).ThenBy(f => f.Key, StringComparer.Ordinal)];
    }

    /// <summary>
    /// The masker for <paramref name="secrets"/>, built once per dictionary and again only when its contents change
    /// (an attempt adds its gateway key after the job's own secrets).
    /// </summary>
    public static SecretMasker For(IReadOnlyDictionary<string, string> secrets)
    {
        if (Cache.TryGetValue(secrets, out var cached) && cached.Matches(secrets))
            return cached.Masker;
        var built = new Built([.. secrets], new SecretMasker(secrets));
        Cache.AddOrUpdate(secrets, built);
        return built.Masker;
    }

    private static readonly ConditionalWeakTable<object, Built> Cache = new();

    private sealed record Built(KeyValuePair<string, string>[] Snapshot, SecretMasker Masker)
    {
        public bool Matches(IReadOnlyDictionary<string, string> secrets) =>
            secrets.Count == Snapshot.Length
            && Snapshot.All(kv => secrets.TryGetValue(kv.Key, out var v) && ReferenceEquals(v, kv.Value));
    }

    /// <summary>Whether there is anything to mask.</summary>
    public bool IsEmpty => _forms.Length == 0;

    /// <summary>What a value under the minimum length is called in errors; null when the value is long enough.</summary>
    public static string? LengthProblem(string value) =>
        value.Length < MinLength ? $"the value is shorter than {MinLength} characters (too short to mask in job output)" : null;

    public string Mask(string text)
    {
        foreach (var (form, mask) in _forms)
        {
            if (text.Contains(form, StringComparison.Ordinal))
                text = text.Replace(form, mask, StringComparison.Ordinal);
        }

        return text;
    }

    /// <summary>The whole value, and each of its lines when it has several.</summary>
    private static IEnumerable<string> Parts(string value)
    {
        yield return value;
        if (!value.Contains('\n', StringComparison.Ordinal) && !value.Contains('\r', StringComparison.Ordinal))
            yield break;
        foreach (var line in value.Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries))
        {
            yield return line;
            if (line.Trim() is { Length: > 0 } trimmed && trimmed != line)
                yield return trimmed;
        }
    }

    private static IEnumerable<string> FormsOf(string value)
    {
        yield return value;
        var strict = JsonEncodedText.Encode(value).Value; // System.Text.Json's default: \u0022, \u00E9, \u002B
        yield return strict;
        yield return HexToLower(strict);
        yield return JsonEncodedText.Encode(value, Relaxed).Value; // \" and non-ASCII as is
        yield return MinimalJson(value, asciiOnly: false); // JSON.stringify, Go with SetEscapeHTML(false)
        yield return MinimalJson(value, asciiOnly: true); // Python's json.dumps
        var url = Uri.EscapeDataString(value);
        yield return url;
        yield return HexToLower(url);
        yield return WebUtility.UrlEncode(value); // form encoding: a space is '+'
        foreach (var b64 in Base64Forms(Encoding.UTF8.GetBytes(value)))
            yield return b64;
    }

    /// <summary>Base64 of the value, and the part of it that stays the same wherever the value sits in a longer encoded text.</summary>
    private static IEnumerable<string> Base64Forms(byte[] bytes)
    {
        var plain = Convert.ToBase64String(bytes);
        yield return plain;
        yield return plain.TrimEnd('=');
        yield return plain.TrimEnd('=').Replace('+', '-').Replace('/', '_');
        for (var shift = 1; shift <= 2; shift++)
        {
            var shifted = new byte[shift + bytes.Length];
            bytes.CopyTo(shifted, shift);
            var encoded = Convert.ToBase64String(shifted);
            // The first group mixes in the bytes before the value; the last one may mix in the bytes after it.
            var stable = (bytes.Length + shift) / 3 * 4;
            if (stable > 4)
                yield return encoded[4..stable];
        }

        var whole = bytes.Length / 3 * 4;
        if (whole < plain.Length && whole > 0)
            yield return plain[..whole];
    }

    /// <summary>JSON with only what JSON requires escaped (<c>"</c>, <c>\</c>, control characters), lowercase hex.</summary>
    private static string MinimalJson(string value, bool asciiOnly)
    {
        var sb = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            _ = c switch
            {
                '"' => sb.Append("\\\""),
                '\\' => sb.Append("\\\\"),
                '\n' => sb.Append("\\n"),
                '\r' => sb.Append("\\r"),
                '\t' => sb.Append("\\t"),
                '\b' => sb.Append("\\b"),
                '\f' => sb.Append("\\f"),
                _ when c < ' ' || (asciiOnly && c > '~') => sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)),
                _ => sb.Append(c),
            };
        }

        return sb.ToString();
    }

    /// <summary>The same escapes with lowercase hex digits (\u00e9, %c3%a9), as other writers spell them.</summary>
    private static string HexToLower(string escaped)
    {
        var chars = escaped.ToCharArray();
        for (var i = 0; i < chars.Length - 1; i++)
        {
            if (chars[i] == '\\' && chars[i + 1] != 'u')
            {
                i++; // an escaped character (\\, \"), not the start of a \uXXXX
                continue;
            }

            var hexLength = chars[i] == '%' ? 2 : chars[i] == '\\' ? 4 : 0;
            if (hexLength == 0)
                continue;
            var start = chars[i] == '%' ? i + 1 : i + 2;
            for (var j = start; j < Math.Min(chars.Length, start + hexLength); j++)
                chars[j] = char.ToLowerInvariant(chars[j]);
            i = start + hexLength - 1;
        }

        return new string(chars);
    }
}
