using System.Text.Json;
using System.Text.Json.Nodes;

namespace Drover.Server.Gateway;

/// <summary>
/// One client-facing API the gateway serves: the upstream path it forwards to, the provider kind that speaks it, and
/// where its answers carry usage (SPEC §9).
/// </summary>
public sealed class GatewayProtocol
{
    /// <summary>OpenAI chat completions: usage in <c>usage</c>; streams carry it in a last chunk when include_usage is set.</summary>
    public static readonly GatewayProtocol Chat = new("chat", "/chat/completions", "openai", ["max_completion_tokens", "max_tokens"]);

    /// <summary>OpenAI Responses (codex): usage in <c>usage</c>, or in the <c>response.completed</c> event's response.</summary>
    public static readonly GatewayProtocol Responses = new("responses", "/responses", "openai", ["max_output_tokens"]);

    /// <summary>Anthropic Messages (claude): usage in <c>message_start</c>'s message and <c>message_delta</c>.</summary>
    public static readonly GatewayProtocol Messages = new("messages", "/messages", "anthropic", ["max_tokens"]);

    private GatewayProtocol(string name, string path, string providerKind, string[] maxOutputKeys)
    {
        Name = name;
        Path = path;
        ProviderKind = providerKind;
        MaxOutputKeys = maxOutputKeys;
    }

    public string Name { get; }

    /// <summary>Appended to the provider's base_url.</summary>
    public string Path { get; }

    /// <summary>The <c>kind</c> of provider that speaks this protocol.</summary>
    public string ProviderKind { get; }

    /// <summary>Request keys that cap the answer's length, first found wins.</summary>
    public IReadOnlyList<string> MaxOutputKeys { get; }

    public bool IsAnthropic => ProviderKind == "anthropic";

    /// <summary>The cap a request puts on its answer, if it gives one.</summary>
    public long? MaxOutput(JsonObject body)
    {
        foreach (var key in MaxOutputKeys)
        {
            if (body[key] is JsonValue v && v.TryGetValue<long>(out var n) && n > 0)
                return n;
        }

        return null;
    }

    /// <summary>An error body in this protocol's shape.</summary>
    public object Error(string type, string message, string? param) => IsAnthropic
        ? new { type = "error", error = new { type, message } }
        : new { error = new { message, type, param, code = type } };
}

/// <summary>Usage as an upstream reported it, normalised: fresh input apart from cache reads and cache writes.</summary>
public sealed class CallUsage(GatewayProtocol protocol)
{
    public long Fresh { get; private set; }

    public long Cached { get; private set; }

    public long CacheWrite { get; private set; }

    public long Output { get; private set; }

    public long Reasoning { get; private set; }

    public bool Any => Fresh + Cached + CacheWrite + Output > 0;

    public long Total => Fresh + Cached + CacheWrite + Output;

    public double? FirstTokenMs { get; set; }

    /// <summary>Reads usage from a whole answer or one stream event; false if the bytes are not JSON.</summary>
    public bool ReadJson(ReadOnlySpan<byte> json)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return false;
        }

        if (node is not JsonObject o)
            return false;
        var usage = o["usage"] as JsonObject ?? o["response"]?["usage"] as JsonObject ?? o["message"]?["usage"] as JsonObject;
        if (usage is not null)
            Apply(usage);
        return true;
    }

    private void Apply(JsonObject u)
    {
        if (protocol.IsAnthropic)
        {
            // message_start carries input and cache counts; message_delta the running output count. Absent keys keep their value.
            if (Has(u, "input_tokens", out var input))
                Fresh = input;
            if (Has(u, "cache_read_input_tokens", out var read))
                Cached = read;
            if (Has(u, "cache_creation_input_tokens", out var write))
                CacheWrite = write;
            if (Has(u, "output_tokens", out var output))
                Output = output;
            return;
        }

        // OpenAI counts cached tokens inside the prompt/input total.
        var chat = protocol == GatewayProtocol.Chat;
        var total = Long(u[chat ? "prompt_tokens" : "input_tokens"]);
        Cached = Long(u[chat ? "prompt_tokens_details" : "input_tokens_details"]?["cached_tokens"]);
        Fresh = Math.Max(0, total - Cached);
        Output = Long(u[chat ? "completion_tokens" : "output_tokens"]);
        Reasoning = Long(u[chat ? "completion_tokens_details" : "output_tokens_details"]?["reasoning_tokens"]);
    }

    public Core.Jobs.UsageRecord ToRecord(string model) =>
        new(Fresh, Cached, Output, 0m, "unknown", model) { CacheWriteTokens = CacheWrite, ReasoningTokens = Reasoning };

    private static bool Has(JsonObject u, string key, out long value)
    {
        value = Long(u[key]);
        return u[key] is JsonValue;
    }

    private static long Long(JsonNode? n) => n is JsonValue v && v.TryGetValue<long>(out var x) ? x : 0;
}

/// <summary>Splits an SSE byte stream into <c>data:</c> lines and reads usage from the ones that carry it.</summary>
public sealed class SseUsageReader(CallUsage usage)
{
    private readonly List<byte> _line = [];

    public void Feed(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b != (byte)'\n')
            {
                if (_line.Count < 1 << 20)
                    _line.Add(b);
                continue;
            }

            var line = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_line);
            if (line.StartsWith("data:"u8))
            {
                var data = line[5..].Trim((byte)' ').TrimEnd((byte)'\r');
                if (data.Length > 0 && data[0] == (byte)'{' && data.IndexOf("\"usage\""u8) >= 0)
                    usage.ReadJson(data);
            }

            _line.Clear();
        }
    }
}
