using System.Collections.Immutable;
using Thaw.Pipeline.Sources;

namespace Thaw.Tests.Analysis;

/// <summary>A weight held in memory, as rows of <c>columns</c> values.</summary>
internal sealed class ArraySource(string name, float[] values, int columns) : ITensorRowSource
{
    public string Name => name;

    public ImmutableArray<long> Shape => [values.Length / columns, columns];

    public long RowCount => values.Length / columns;

    public long RowLength => columns;

    public void ReadRows(long firstRow, int rowCount, Span<float> destination) =>
        values.AsSpan((int)(firstRow * columns), rowCount * columns).CopyTo(destination);
}
