using System.Text;

namespace Drover.Engines.Processes;

/// <summary>Logs a run's output and remembers what the runner needs about it: when it last
/// spoke (stall detection), its last stderr line and a short tail. Safe for the two reader tasks.</summary>
internal sealed class OutputWatch
{
    private const int TailChars = 2048;

    private readonly TimeProvider _time;
    private readonly LineLog _log;
    private readonly Lock _gate = new();
    private readonly LinkedList<string> _tail = new();
    private int _tailChars;
    private long _lastActivity;

    public OutputWatch(TimeProvider time, LineLog log)
    {
        _time = time;
        _log = log;
        _lastActivity = time.GetTimestamp();
    }

    public string? LastStderrLine { get; private set; }

    /// <summary>Time since the last line on either stream.</summary>
    public TimeSpan Idle => _time.GetElapsedTime(Interlocked.Read(ref _lastActivity));

    public void Stdout(string line) => Record(line);

    /// <summary>Starts the stall clock over without a line (the process is excused for its silence).</summary>
    public void Touch() => Interlocked.Exchange(ref _lastActivity, _time.GetTimestamp());

    public void Stderr(string line)
    {
        Record(line);
        if (!string.IsNullOrWhiteSpace(line))
        {
            LastStderrLine = line;
        }
    }

    public string Tail()
    {
        lock (_gate)
        {
            var text = new StringBuilder();
            foreach (var line in _tail)
            {
                text.Append(line).Append('\n');
            }

            return text.ToString();
        }
    }

    private void Record(string line)
    {
        _log.WriteLine(line);
        Interlocked.Exchange(ref _lastActivity, _time.GetTimestamp());
        lock (_gate)
        {
            _tail.AddLast(line);
            _tailChars += line.Length + 1;
            while (_tailChars > TailChars && _tail.Count > 1)
            {
                _tailChars -= _tail.First!.Value.Length + 1;
                _tail.RemoveFirst();
            }
        }
    }
}
