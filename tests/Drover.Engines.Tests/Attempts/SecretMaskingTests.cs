using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Drover.Core.Configuration;
using Drover.Core.Jobs;
using Drover.Core.Secrets;
using Drover.Core.Storage;
using Drover.Engines.Agents;
using Drover.Engines.Attempts;

namespace Drover.Engines.Tests.Attempts;

/// <summary>A job's secrets in every form its output can carry them: raw, JSON-escaped, split across lines, encoded.</summary>
public sealed class SecretMaskingTests : IDisposable
{
    // A quote, a backslash, a non-ASCII letter and a newline: each JSON writer spells this value differently.
    private const string Secret = "pa\"ss\\wörd-1234\nsecond-line-5678";
    private static readonly string Samples = Path.Combine(AppContext.BaseDirectory, "corpus", "agent-samples");
    private static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly AttemptHarness _h = new();

    public SecretMaskingTests()
    {
        var store = new SecretStore(Path.Combine(_h.Home, "secrets"));
        store.Set("TOKEN", Secret);
        Store = store;
    }

    private SecretStore Store { get; }

    private static string Strict(string value) => JsonEncodedText.Encode(value).Value;

    private static string Relaxed(string value) => JsonEncodedText.Encode(value, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).Value;

    /// <summary>Every form a leak could take: the value and each of its lines, raw, JSON-escaped both ways, URL-encoded, base64.</summary>
    private static string[] Forms() =>
    [
        .. new[] { Secret, "pa\"ss\\wörd-1234", "second-line-5678" }.SelectMany(v => new[]
        {
            v, Strict(v), Relaxed(v), Uri.EscapeDataString(v), Convert.ToBase64String(Encoding.UTF8.GetBytes(v)),
        }),
    ];

    private static void ShouldHoldNoForm(string what, string text)
    {
        foreach (var form in Forms())
            text.ShouldNotContain(form, Case.Sensitive, $"{what} holds the secret as {form}");
    }

    [Fact]
    public async Task Run_ShellJobPrintsTheSecretInEveryForm_NoFormIsRecorded()
    {
        var lines = Path.Combine(_h.Plain, "encoded.txt");
        File.WriteAllLines(lines, [
            JsonSerializer.Serialize(new { token = Secret }),
            JsonSerializer.Serialize(new { token = Secret }, RelaxedJson),
            $"url: {Uri.EscapeDataString(Secret)}",
        ]);
        _h.Runner = new ShellAttemptRunner(secrets: Store);

        var report = await _h.RunAsync(AttemptHarness.Shell($$"""
            echo "DROVER_PROGRESS got $TOKEN"
            cat '{{lines}}'
            printf 'b64: %s\n' "$(printf '%s' "$TOKEN" | base64 -w0)"
            printf 'raw: %s\n' "$TOKEN"
            printf '%s\n' "$TOKEN" | tail -n 1 >&2
            exit 3
            """, "\"secrets\": [\"TOKEN\"]"));

        report.Outcome.Class.ShouldBe(FailureClass.Crash, report.Outcome.Reason);
        report.Outcome.Reason.ShouldBe("exit code 3: [secret TOKEN]");
        var log = File.ReadAllText(Path.Combine(_h.RunDir(), "log"));
        log.ShouldContain("raw: [secret TOKEN]\n[secret TOKEN]");
        log.ShouldContain("""{"token":"[secret TOKEN]"}""");
        ShouldHoldNoForm("log", log);
        ShouldHoldNoForm("progress", string.Join('\n', _h.Sink.Progress));
        _h.Sink.Progress.ShouldContain("got [secret TOKEN]");
        ShouldHoldNoForm("result.json", File.ReadAllText(Path.Combine(_h.RunDir(), "result.json")));
        ShouldHoldNoForm("summary", report.Result.Summary ?? "");
        ShouldHoldNoForm("reason", report.Outcome.Reason ?? "");
    }

    [Fact]
    public async Task Run_AgentStreamCarriesTheSecretJsonEscaped_StreamLogEventsAndResultHoldNoForm()
    {
        // The sample claude run, its messages now quoting the secret: as JSON.stringify writes it, and escaped.
        var sample = File.ReadAllText(Path.Combine(Samples, "claude.write.out.jsonl"))
            .Replace("Done: created hello.txt containing 'hello from agent'.", "Done, the token is " + Relaxed(Secret), StringComparison.Ordinal)
            .Replace("File created successfully", "env has " + Strict(Secret), StringComparison.Ordinal);
        var stream = Path.Combine(_h.Plain, "claude.jsonl");
        File.WriteAllText(stream, sample);
        var script = Path.Combine(_h.Plain, "wrapper");
        File.WriteAllText(script, $"#!/bin/sh\nprintf 'hello\\n' > hello.txt\ncat '{stream}'\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var driver = EngineDrivers.All(new Dictionary<string, EngineConfig>
        {
            ["wrapper"] = new EngineConfig { Command = [script, "{prompt_file}"], Usage = "claude" },
        }).OfType<CustomEngineDriver>().Single();
        _h.Runner = new ShellAttemptRunner(drivers: [driver], secrets: Store);

        var report = await _h.RunAsync("""{"engine": "wrapper", "prompt": "create hello.txt", "secrets": ["TOKEN"]}""");

        report.Outcome.Kind.ShouldBe(AttemptOutcomeKind.Succeeded, report.Outcome.Reason);
        report.Result.Summary.ShouldBe("Done, the token is [secret TOKEN]");
        var raw = File.ReadAllText(Path.Combine(_h.RunDir(), "stream.jsonl"));
        raw.ShouldContain("env has [secret TOKEN]");
        ShouldHoldNoForm("stream.jsonl", raw);
        ShouldHoldNoForm("log", File.ReadAllText(Path.Combine(_h.RunDir(), "log")));
        ShouldHoldNoForm("progress", string.Join('\n', _h.Sink.Progress));
        ShouldHoldNoForm("result.json", File.ReadAllText(Path.Combine(_h.RunDir(), "result.json")));
    }

    [Fact]
    public async Task Run_StoredSecretShorterThanTheMinimum_FailsAsDependencyMissingWithoutRunning()
    {
        // Written before values under 8 characters were refused: the store file holds it, Set would not.
        File.WriteAllText(Path.Combine(_h.Home, "secrets"), """{"PIN": "1234"}""");
        _h.Runner = new ShellAttemptRunner(secrets: new SecretStore(Path.Combine(_h.Home, "secrets")));

        var report = await _h.RunAsync(AttemptHarness.Shell("echo pin is $PIN", "\"secrets\": [\"PIN\"]"));

        report.Outcome.Class.ShouldBe(FailureClass.DependencyMissing);
        report.Outcome.Reason.ShouldNotBeNull().ShouldContain("PIN is shorter than 8 characters");
        File.ReadAllText(Path.Combine(_h.RunDir(), "log")).ShouldNotContain("pin is");
    }

    [Fact]
    public async Task Run_SecretsFileDamaged_FailsAsDependencyMissingNamingTheFileNotItsContents()
    {
        File.WriteAllText(Path.Combine(_h.Home, "secrets"), """{"TOKEN": "half-written-value-4711""");
        _h.Runner = new ShellAttemptRunner(secrets: new SecretStore(Path.Combine(_h.Home, "secrets")));

        var report = await _h.RunAsync(AttemptHarness.Shell("echo ran", "\"secrets\": [\"TOKEN\"]"));

        report.Outcome.Class.ShouldBe(FailureClass.DependencyMissing);
        report.Outcome.Reason.ShouldNotBeNull().ShouldContain("cannot read the secret store");
        report.Outcome.Reason.ShouldContain(Path.Combine(_h.Home, "secrets"));
        report.Outcome.Reason.ShouldNotContain("half-written-value");
    }

    public void Dispose() => _h.Dispose();
}
