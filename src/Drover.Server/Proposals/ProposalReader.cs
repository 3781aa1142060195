using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Core;
using Drover.Core.Configuration;
using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Core.Storage;

namespace Drover.Server.Proposals;

/// <summary>A proposal that makes no job, and why (shown in a <c>proposal.invalid</c> event of the proposing job).</summary>
public sealed record InvalidProposal(string Title, string Reason);

/// <summary>
/// Turns an attempt's <c>DROVER_PROPOSE</c> objects into job specs (SPEC §12), read as <c>drover submit</c> reads a
/// spec with this host's profiles: <c>repo</c> defaults to the proposing job's; <c>key</c> is the proposal's key (the
/// job itself has none), else <c>proposal:</c> and the hash of the canonical spec, so the same proposal is one job.
/// </summary>
public sealed class ProposalReader(Func<string, SpecParseContext> parseContext, ProposalsConfig config)
{
    public const string KeyPrefix = "proposal:";

    public ProposalsConfig Config => config;

    /// <summary>The batch to record with the attempt's completion, and the proposals that make no job.</summary>
    public (ProposalBatch Batch, IReadOnlyList<InvalidProposal> Invalid) Read(JobRecord proposer, IReadOnlyList<string> proposals)
    {
        ArgumentNullException.ThrowIfNull(proposer);
        ArgumentNullException.ThrowIfNull(proposals);
        var repo = JobSpecJson.Deserialize(proposer.SpecJson).Repo;
        var drafts = new List<ProposalDraft>();
        var invalid = new List<InvalidProposal>();
        foreach (var json in proposals)
        {
            try
            {
                var draft = Draft(json, repo);
                if (!drafts.Exists(d => d.Key == draft.Key))
                    drafts.Add(draft);
            }
            catch (JobSpecException e)
            {
                invalid.Add(new InvalidProposal(Title(json), string.Join("; ", e.Errors.Select(x => x.Field is null ? x.Message : $"{x.Field}: {x.Message}"))));
            }
        }

        return (new ProposalBatch(drafts, config.MaxPerDay, config.Remember), invalid);
    }

    /// <summary>One proposal's draft; <see cref="JobSpecException"/> says why it is not a valid job spec.</summary>
    public ProposalDraft Draft(string json, string proposerRepo)
    {
        JsonObject raw;
        try
        {
            raw = JsonNode.Parse(json) as JsonObject ?? throw new JobSpecException(null, "a proposal must be a JSON object");
        }
        catch (JsonException e)
        {
            throw new JobSpecException(null, "malformed JSON: " + e.Message);
        }

        string? key = null;
        if (raw["key"] is { } k)
        {
            key = k is JsonValue v && v.TryGetValue<string>(out var text) && !string.IsNullOrWhiteSpace(text) && text.Length <= 200 && !text.Any(char.IsControl)
                ? text.Trim()
                : throw new JobSpecException("key", "key must be a string of 1-200 printable characters");
            raw.Remove("key");
        }

        if (raw.ContainsKey("after"))
            throw new JobSpecException("after", "a proposal cannot depend on other jobs (after)");
        if (raw["repo"] is null)
            raw["repo"] = proposerRepo;
        var ctx = parseContext(Directory.Exists(proposerRepo) ? proposerRepo : Path.GetTempPath()) with { RequireRepo = true };
        var spec = JobSpecParser.ParseObject(raw, ctx) with { Key = null };
        var canonical = JobSpecJson.Serialize(spec);
        var hash = JobSpecJson.Hash(canonical);
        return new ProposalDraft(key ?? KeyPrefix + hash, spec, canonical, hash);
    }

    private static string Title(string json)
    {
        try
        {
            return JsonNode.Parse(json) is JsonObject o && o["title"] is JsonValue t && t.TryGetValue<string>(out var title) ? title : "(untitled)";
        }
        catch (JsonException)
        {
            return "(not JSON)";
        }
    }
}
