using System.Text;
using Drover.Core.Jobs;
using Drover.Engines.Processes;

namespace Drover.Engines.Attempts;

/// <summary>What an attempt's stdout said: summed usage, questions, progress and the summary.
/// Lines arrive one at a time from the stdout reader, so no locking is needed.</summary>
internal sealed class AttemptOutput
{
    private const int SummaryBytes = 4096;

    /// <summary>An attempt's proposals beyond this many are ignored (with a line in the log).</summary>
    public const int MaxProposals = 100;

    private readonly LineLog _log;
    private readonly Func<string, CancellationToken, Task> _onProgress;
    private readonly List<string> _questions = [];
    private readonly List<string> _proposals = [];
    private readonly LinkedList<string> _paragraph = new();
    private int _paragraphBytes;
    private bool _paragraphEnded;
    private long _input, _cached, _cacheWrite, _reasoning, _output;
    private decimal _cost;
    private int _usageLines, _costedLines;
    private string? _model;

    public AttemptOutput(LineLog log, Func<string, CancellationToken, Task> onProgress)
    {
        _log = log;
        _onProgress = onProgress;
    }

    /// <summary>Called after each DROVER_USAGE line is added (budgets are checked against the new sum).</summary>
    public Func<CancellationToken, Task>? OnUsage { get; init; }

    /// <summary>All questions the engine asked, in order; null when it asked none.</summary>
    public string? Question => _questions.Count == 0 ? null : string.Join('\n', _questions);

    /// <summary>The JSON objects of the DROVER_PROPOSE lines, in order (the server validates them as job specs).</summary>
    public IReadOnlyList<string> Proposals => _proposals;

    /// <summary>The summed DROVER_USAGE lines; null when there were none. cost_source is "reported" when every
    /// line carried cost_usd, "unknown" when none did, and "mixed" (Core's word for it) otherwise.</summary>
    public UsageRecord? Usage => _usageLines == 0
        ? null
        : new UsageRecord(_input, _cached, _output, _cost,
            _costedLines == _usageLines ? "reported" : _costedLines == 0 ? "unknown" : "mixed", _model)
        {
            CacheWriteTokens = _cacheWrite,
            ReasoningTokens = _reasoning,
        };

    /// <summary>The last paragraph of ordinary stdout lines (the agent's last message), at most 4 KiB.</summary>
    public string? Summary => _paragraph.Count == 0 ? null : string.Join('\n', _paragraph);

    public async Task OnStdoutLineAsync(string line, CancellationToken ct)
    {
        var parsed = DroverProtocol.Parse(line);
        switch (parsed.Kind)
        {
            case ProtocolKind.Usage:
                AddUsage(parsed.Usage!);
                if (OnUsage is { } onUsage)
                    await onUsage(ct);
                break;
            case ProtocolKind.MalformedUsage:
                _log.Note($"warning: ignored malformed {DroverProtocol.UsageKeyword} line: {parsed.Text}");
                break;
            case ProtocolKind.Question when parsed.Text.Length == 0:
                _log.Note($"warning: ignored an empty {DroverProtocol.QuestionKeyword} line");
                break;
            case ProtocolKind.Question:
                _questions.Add(parsed.Text);
                break;
            case ProtocolKind.Progress:
                await _onProgress(parsed.Text, ct);
                break;
            case ProtocolKind.Propose or ProtocolKind.MalformedPropose:
                AddProposal(parsed);
                break;
            default:
                AddText(line);
                break;
        }
    }

    /// <summary>Reads the DROVER_PROPOSE lines of a text that is not stdout (an agent CLI's final message).</summary>
    public void ReadProposals(string text)
    {
        foreach (var line in text.Split('\n'))
        {
            var parsed = DroverProtocol.Parse(line.TrimEnd('\r'));
            if (parsed.Kind is ProtocolKind.Propose or ProtocolKind.MalformedPropose)
                AddProposal(parsed);
        }
    }

    private void AddProposal(ProtocolLine parsed)
    {
        if (parsed.Kind == ProtocolKind.MalformedPropose)
            _log.Note($"warning: ignored malformed {DroverProtocol.ProposeKeyword} line: {parsed.Text}");
        else if (_proposals.Count >= MaxProposals)
            _log.Note($"warning: ignored a {DroverProtocol.ProposeKeyword} line: at most {MaxProposals} proposals per attempt");
        else
            _proposals.Add(parsed.Text);
    }

    private void AddUsage(UsageRecord usage)
    {
        _usageLines++;
        _input += usage.InputTokens;
        _cached += usage.CachedInputTokens;
        _cacheWrite += usage.CacheWriteTokens;
        _reasoning += usage.ReasoningTokens;
        _output += usage.OutputTokens;
        _cost += usage.CostUsd;
        _model = usage.Model ?? _model;
        if (usage.CostSource == "reported")
        {
            _costedLines++;
        }
    }

    private void AddText(string line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            _paragraphEnded = _paragraph.Count > 0;
            return;
        }

        if (_paragraphEnded)
        {
            _paragraph.Clear();
            _paragraphBytes = 0;
            _paragraphEnded = false;
        }

        _paragraph.AddLast(line);
        _paragraphBytes += Encoding.UTF8.GetByteCount(line) + 1;
        while (_paragraphBytes > SummaryBytes && _paragraph.Count > 1)
        {
            _paragraphBytes -= Encoding.UTF8.GetByteCount(_paragraph.First!.Value) + 1;
            _paragraph.RemoveFirst();
        }

        if (_paragraphBytes > SummaryBytes)
        {
            // One line over the limit on its own: keep its end.
            var only = _paragraph.First!.Value;
            var start = only.Length - Math.Min(only.Length, SummaryBytes / 4);
            if (start > 0 && char.IsLowSurrogate(only[start]))
            {
                start++; // never start on the second half of a surrogate pair
            }

            var kept = only[start..];
            _paragraph.Clear();
            _paragraph.AddLast(kept);
            _paragraphBytes = Encoding.UTF8.GetByteCount(kept) + 1;
        }
    }
}
