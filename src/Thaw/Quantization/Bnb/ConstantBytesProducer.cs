using Thaw.Pipeline;

namespace Thaw.Quantization.Bnb;

/// <summary>A small tensor whose bytes are known when the plan is made (code tables, quant-state JSON, weight_format).</summary>
internal sealed class ConstantBytesProducer(byte[] bytes, string description) : ITensorProducer
{
    public long RowCount => bytes.Length == 0 ? 0 : 1;

    public long RowByteLength => bytes.Length;

    public long ScratchBytesPerRow => 0;

    public int ChunkRowMultiple => 1;

    public string Description => description;

    public void Produce(long firstRow, int rowCount, Span<byte> destination, Span<byte> scratch)
    {
        if (firstRow != 0 || rowCount != 1)
            throw new ArgumentOutOfRangeException(nameof(rowCount), "this tensor is produced whole, as one row");
        bytes.CopyTo(destination);
    }
}
