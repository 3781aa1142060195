using System.Globalization;

namespace Drover.Cli.Bench;

/// <summary>Collects repeated measurements and prints one machine-readable line per figure (STYLE.md).</summary>
public sealed class BenchStats
{
    private readonly Dictionary<string, List<double>> _figures = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    public void Add(string key, double value)
    {
        if (!_figures.TryGetValue(key, out var list))
        {
            _figures[key] = list = [];
            _order.Add(key);
        }

        list.Add(value);
    }

    public void Print(TextWriter w)
    {
        foreach (var key in _order)
        {
            var v = _figures[key].Order().ToList();
            var median = v.Count % 2 == 1 ? v[v.Count / 2] : (v[(v.Count / 2) - 1] + v[v.Count / 2]) / 2;
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bench {key} median={median:0.###} min={v[0]:0.###} max={v[^1]:0.###} runs={v.Count}"));
        }
    }

    /// <summary>Nearest-rank percentile.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0)
            return double.NaN;
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }
}
