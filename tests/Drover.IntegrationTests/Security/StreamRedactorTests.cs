using System.Text;
using Drover.Core.Secrets;
using Drover.Server.Gateway;

namespace Drover.IntegrationTests.Security;

public sealed class StreamRedactorTests
{
    private const string Key = "sk-live-K3yC0re9876543210";

    [Fact]
    public void Feed_KeySplitAcrossReads_IsStillRedactedAndTheModelsTextKept()
    {
        var r = new StreamRedactor(new UpstreamRedactor([Key]));
        var stream = "data: {\"delta\":\"use Authorization: Bearer abcdefgh12345678\"}\n\n"
            + $"event: error\ndata: {{\"type\":\"error\",\"error\":{{\"message\":\"key {Key} and Bearer tok_abcdefgh123 refused\"}}}}\n\n";
        var bytes = Encoding.UTF8.GetBytes(stream);
        var cut = stream.IndexOf(Key, StringComparison.Ordinal) + 6;
        var output = new StringBuilder();

        output.Append(Encoding.UTF8.GetString(r.Feed(bytes.AsSpan(0, cut)).Span));
        output.ToString().ShouldNotContain("sk-liv", customMessage: "a partial line waits for its end");
        output.Append(Encoding.UTF8.GetString(r.Feed(bytes.AsSpan(cut)).Span));
        output.Append(Encoding.UTF8.GetString(r.Flush().Span));

        var text = output.ToString();
        text.ShouldNotContain("K3yC0re");
        text.ShouldNotContain("tok_abcdefgh123", customMessage: "credential-shaped text in an error event goes");
        text.ShouldContain("use Authorization: Bearer abcdefgh12345678", customMessage: "what the model wrote stays");
        text.ShouldContain("key [redacted] and Bearer [redacted] refused");
    }
}
