namespace Drover.Server.Reports;

/// <summary>A half-open time span [Start, End).</summary>
internal readonly record struct Span(DateTimeOffset Start, DateTimeOffset End)
{
    public TimeSpan Length => End > Start ? End - Start : TimeSpan.Zero;

    /// <summary>How much of this span lies inside [from, to).</summary>
    public TimeSpan Overlap(DateTimeOffset from, DateTimeOffset to)
    {
        var start = Start > from ? Start : from;
        var end = End < to ? End : to;
        return end > start ? end - start : TimeSpan.Zero;
    }

    /// <summary>Sorted, non-overlapping spans covering the same time as <paramref name="spans"/>.</summary>
    public static List<Span> Union(IEnumerable<Span> spans)
    {
        var merged = new List<Span>();
        foreach (var s in spans.Where(s => s.End > s.Start).OrderBy(s => s.Start))
        {
            if (merged.Count > 0 && s.Start <= merged[^1].End)
                merged[^1] = merged[^1] with { End = s.End > merged[^1].End ? s.End : merged[^1].End };
            else
                merged.Add(s);
        }

        return merged;
    }

    /// <summary>The time in <paramref name="a"/> not in <paramref name="b"/> (both as returned by <see cref="Union"/>).</summary>
    public static List<Span> Subtract(List<Span> a, List<Span> b)
    {
        var result = new List<Span>();
        foreach (var s in a)
        {
            var start = s.Start;
            foreach (var cut in b.Where(c => c.End > start && c.Start < s.End))
            {
                if (cut.Start > start)
                    result.Add(new Span(start, cut.Start));
                start = cut.End > start ? cut.End : start;
            }

            if (s.End > start)
                result.Add(new Span(start, s.End));
        }

        return result;
    }

    public static TimeSpan Overlap(IEnumerable<Span> spans, DateTimeOffset from, DateTimeOffset to) =>
        spans.Aggregate(TimeSpan.Zero, (sum, s) => sum + s.Overlap(from, to));
}
