using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Drover.Core.Secrets;

/// <summary>
/// Strips credentials from text a model provider sent back, before Drover passes it anywhere (the client's response,
/// provider state, events, alerts, logs): every configured provider key in the forms a body can carry it (raw,
/// JSON-escaped, URL-encoded), and, in error text, anything shaped like a credential (<c>Bearer …</c>, <c>sk-…</c>,
/// <c>x-api-key: …</c>). A provider that echoes the key it was sent in a 401 must not hand it to the agent.
/// </summary>
public sealed partial class UpstreamRedactor
{
    /// <summary>What a credential is replaced with.</summary>
    public const string Mask = "[redacted]";

    /// <summary>Shorter values are not searched for: they would match ordinary text and are no real key.</summary>
    public const int MinKeyLength = 6;

    private static readonly JavaScriptEncoder[] JsonEncoders = [JavaScriptEncoder.Default, JavaScriptEncoder.UnsafeRelaxedJsonEscaping];

    private readonly string[] _forms;
    private readonly byte[][] _utf8Forms;

    public UpstreamRedactor(IEnumerable<string?> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var forms = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (key is not { Length: >= MinKeyLength })
                continue;
            forms.Add(key);
            foreach (var encoder in JsonEncoders)
                forms.Add(JsonEncodedText.Encode(key, encoder).ToString());
            forms.Add(Uri.EscapeDataString(key));
            forms.Add(WebUtility.UrlEncode(key));
        }

        // Longest first, so a form that contains another is replaced whole.
        _forms = [.. forms.Where(f => f.Length >= MinKeyLength).OrderByDescending(f => f.Length)];
        _utf8Forms = [.. _forms.Select(Encoding.UTF8.GetBytes)];
    }

    /// <summary>No configured keys: only credential-shaped text is stripped.</summary>
    public static UpstreamRedactor None { get; } = new([]);

    [GeneratedRegex(@"\bBearer\s+[A-Za-z0-9._~+/=\-]{6,}", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BearerPattern();

    [GeneratedRegex(@"\b(?:sk|rk)-[A-Za-z0-9_\-]{8,}", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();

    [GeneratedRegex(@"\bAIza[A-Za-z0-9_\-]{20,}", RegexOptions.CultureInvariant)]
    private static partial Regex GoogleKeyPattern();

    /// <summary>A header or field that names a credential, then its value (in JSON, JSON-escaped JSON, a header, a query).</summary>
    [GeneratedRegex(
        @"\b(x-api-key|x-goog-api-key|api[-_]?key|authorization|access[-_]?token|auth[-_]?token)(\\?[""']?\s*[:=]\s*\\?[""']?)(?!Bearer\b)(?!\[redacted\])[^\s""'\\,;&}<>]{6,}",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex FieldPattern();

    /// <summary>Error text (an error body, a reason that quotes one): configured keys and anything credential-shaped.</summary>
    public string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = RedactKeys(text);
        text = BearerPattern().Replace(text, "Bearer " + Mask);
        text = KeyPattern().Replace(text, Mask);
        text = GoogleKeyPattern().Replace(text, Mask);
        return FieldPattern().Replace(text, m => m.Groups[1].Value + m.Groups[2].Value + Mask);
    }

    /// <summary>
    /// A successful answer (text a model wrote): only the configured keys, so code a model writes about
    /// <c>Authorization: Bearer</c> headers reaches the client as written.
    /// </summary>
    public string RedactKeys(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var form in _forms)
        {
            if (text.Contains(form, StringComparison.Ordinal))
                text = text.Replace(form, Mask, StringComparison.Ordinal);
        }

        return text;
    }

    /// <summary>UTF-8 bytes; the same array back when there is nothing to strip.</summary>
    public byte[] Redact(byte[] utf8, bool errorText)
    {
        ArgumentNullException.ThrowIfNull(utf8);
        if (!errorText && !ContainsKey(utf8))
            return utf8;
        var text = Encoding.UTF8.GetString(utf8);
        var redacted = errorText ? Redact(text) : RedactKeys(text);
        return ReferenceEquals(redacted, text) || redacted == text ? utf8 : Encoding.UTF8.GetBytes(redacted);
    }

    private bool ContainsKey(ReadOnlySpan<byte> utf8)
    {
        foreach (var form in _utf8Forms)
        {
            if (utf8.IndexOf(form) >= 0)
                return true;
        }

        return false;
    }
}
