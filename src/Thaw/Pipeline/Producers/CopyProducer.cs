using Thaw.Models;
using Thaw.Tensors;

namespace Thaw.Pipeline.Producers;

/// <summary>A stored tensor's bytes, copied unchanged (same dtype: no conversion, so NaN payloads survive too).</summary>
public sealed class CopyProducer : ITensorProducer
{
    private readonly StoredTensor _stored;

    public CopyProducer(StoredTensor stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        _stored = stored;
        RowCount = stored.Info.RowCount;
        RowByteLength = stored.Info.RowByteLength;
    }

    public long RowCount { get; }

    public long RowByteLength { get; }

    public long ScratchBytesPerRow => 0;

    public int ChunkRowMultiple => 1;

    public string Description => $"copy {DTypes.SafetensorsName(_stored.Info.DType)}";

    public void Produce(long firstRow, int rowCount, Span<byte> destination, Span<byte> scratch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstRow);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstRow + rowCount, RowCount, nameof(rowCount));
        ArgumentOutOfRangeException.ThrowIfNotEqual(destination.Length, rowCount * RowByteLength, nameof(destination));
        _stored.File.ReadBytes(_stored.Info, firstRow * RowByteLength, destination);
    }
}
