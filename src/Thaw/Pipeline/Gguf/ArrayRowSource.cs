using System.Collections.Immutable;
using Thaw.Pipeline.Sources;

namespace Thaw.Pipeline.Gguf;

/// <summary>A small in-memory tensor (computed rope factors, adapter matrices) as a row source.</summary>
internal sealed class ArrayRowSource : ITensorRowSource
{
    private readonly float[] values;

    /// <param name="name">The tensor's name, for errors.</param>
    /// <param name="values">Row-major values.</param>
    /// <param name="rowLength">Values per row (1 for a vector of one value per row).</param>
    public ArrayRowSource(string name, float[] values, int rowLength = 1)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowLength, 1);
        if (values.Length % rowLength != 0)
            throw new ArgumentException($"{values.Length} values are not whole rows of {rowLength}", nameof(values));
        Name = name;
        this.values = values;
        RowLength = rowLength;
        RowCount = values.Length / rowLength;
    }

    public string Name { get; }

    public ImmutableArray<long> Shape => RowLength == 1 ? [RowCount] : [RowCount, RowLength];

    public long RowCount { get; }

    public long RowLength { get; }

    public void ReadRows(long firstRow, int rowCount, Span<float> destination) =>
        values.AsSpan(checked((int)(firstRow * RowLength)), checked((int)(rowCount * RowLength))).CopyTo(destination);
}
