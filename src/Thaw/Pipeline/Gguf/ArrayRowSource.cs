using System.Collections.Immutable;
using Thaw.Pipeline.Sources;

namespace Thaw.Pipeline.Gguf;

/// <summary>A small computed 1-D tensor (Llama 3's rope frequency factors) as a row source of one value per row.</summary>
internal sealed class ArrayRowSource(string name, float[] values) : ITensorRowSource
{
    public string Name => name;

    public ImmutableArray<long> Shape => [values.LongLength];

    public long RowCount => values.LongLength;

    public long RowLength => 1;

    public void ReadRows(long firstRow, int rowCount, Span<float> destination) =>
        values.AsSpan(checked((int)firstRow), rowCount).CopyTo(destination);
}
