using System.Collections.Immutable;
using Thaw.Pipeline.Sources;
using Thaw.Quantization.Bnb;

namespace Thaw.Tests.Quantization.Quantizer;

public class ElementSourceTests
{
    [Fact]
    public void FlatReadsCrossRowBoundariesAnywhere()
    {
        var source = new ArraySource(7, 13);
        var all = source.Values;
        for (var first = 0; first < all.Length; first += 5)
        {
            for (var length = 0; first + length <= all.Length; length += 3)
            {
                var read = new float[length];
                FlatElements.Read(source, first, read);
                Assert.Equal(all.AsSpan(first, length).ToArray(), read);
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => FlatElements.Read(source, 90, new float[2]));
    }

    [Fact]
    public void Conv1DSourceReadsTheTransposeInBands()
    {
        // [in 5, out 70000]: more than one band of stored rows per read.
        var stored = new ArraySource(5, 70_000);
        var source = new Conv1DWeightSource(stored);
        Assert.Equal([70_000, 5], source.Shape.ToArray());
        var rows = new float[3 * 5];
        source.ReadRows(69_990, 3, rows);
        for (var r = 0; r < 3; r++)
            for (var c = 0; c < 5; c++)
                Assert.Equal(stored.Values[(c * 70_000) + 69_990 + r], rows[(r * 5) + c]);
        Assert.Throws<ArgumentException>(() => source.ReadRows(0, 1, new float[4]));
    }

    /// <summary>A row source over an array whose element i holds i.</summary>
    private sealed class ArraySource(long rows, long columns) : ITensorRowSource
    {
        public float[] Values { get; } = [.. Enumerable.Range(0, (int)(rows * columns)).Select(i => (float)i)];

        public string Name => "t.weight";

        public ImmutableArray<long> Shape => [rows, columns];

        public long RowCount => rows;

        public long RowLength => columns;

        public void ReadRows(long firstRow, int rowCount, Span<float> destination)
        {
            Assert.Equal(rowCount * columns, destination.Length);
            Values.AsSpan((int)(firstRow * columns), (int)(rowCount * columns)).CopyTo(destination);
        }
    }
}
