namespace Thaw.IO;

/// <summary>
/// The byte ranges of one tensor written so far, kept as sorted, merged intervals so that in-order chunk writes
/// stay a single interval. Thread-safe. Lets the writer prove every byte was written exactly once.
/// </summary>
internal sealed class WrittenRanges
{
    private readonly List<(long Start, long End)> _ranges = [];
    private readonly Lock _lock = new();

    public WrittenRanges(long length)
    {
        Length = length;
    }

    public long Length { get; }

    /// <summary>
    /// Records [start, end) as written. Returns false, recording nothing, when it overlaps a range already
    /// written; <paramref name="overlapped"/> then gives that range.
    /// </summary>
    public bool TryAdd(long start, long end, out (long Start, long End) overlapped)
    {
        overlapped = default;
        if (start == end)
            return true;
        lock (_lock)
        {
            // First range whose end is after start: the only candidates for overlap or adjacency follow it.
            var index = FirstEndingAfter(start);
            if (index < _ranges.Count && _ranges[index].Start < end)
            {
                overlapped = _ranges[index];
                return false;
            }
            var mergeLeft = index > 0 && _ranges[index - 1].End == start;
            var mergeRight = index < _ranges.Count && _ranges[index].Start == end;
            if (mergeLeft && mergeRight)
            {
                _ranges[index - 1] = (_ranges[index - 1].Start, _ranges[index].End);
                _ranges.RemoveAt(index);
            }
            else if (mergeLeft)
            {
                _ranges[index - 1] = (_ranges[index - 1].Start, end);
            }
            else if (mergeRight)
            {
                _ranges[index] = (start, _ranges[index].End);
            }
            else
            {
                _ranges.Insert(index, (start, end));
            }
            return true;
        }
    }

    /// <summary>True when [0, Length) has been written.</summary>
    public bool IsComplete
    {
        get
        {
            lock (_lock)
                return Length == 0 || (_ranges.Count == 1 && _ranges[0] == (0, Length));
        }
    }

    /// <summary>Bytes written so far.</summary>
    public long WrittenBytes
    {
        get
        {
            lock (_lock)
                return _ranges.Sum(r => r.End - r.Start);
        }
    }

    /// <summary>The first byte not yet written (Length when complete).</summary>
    public long FirstMissing
    {
        get
        {
            lock (_lock)
                return _ranges.Count == 0 || _ranges[0].Start > 0 ? 0 : _ranges[0].End;
        }
    }

    private int FirstEndingAfter(long start)
    {
        int low = 0, high = _ranges.Count;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (_ranges[mid].End <= start)
                low = mid + 1;
            else
                high = mid;
        }
        return low;
    }
}
