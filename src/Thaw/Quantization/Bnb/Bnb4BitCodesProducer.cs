using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using Thaw.Pipeline;
using Thaw.Pipeline.Sources;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// The packed 4-bit codes of a weight (uint8 [ceil(n/2), 1]): each output row is one byte (two elements), and a chunk
/// covers whole blocks, which it quantizes from the weight's float32 values.
/// </summary>
internal sealed class Bnb4BitCodesProducer : ITensorProducer
{
    private readonly ITensorRowSource _source;
    private readonly BnbQuantType _type;
    private readonly int _blocksize;
    private readonly long _elements;

    public Bnb4BitCodesProducer(ITensorRowSource source, BnbQuantType type, int blocksize)
    {
        ArgumentNullException.ThrowIfNull(source);
        BnbQuantizationSettings.CheckBlocksize(blocksize);
        _source = source;
        _type = type;
        _blocksize = blocksize;
        _elements = FlatElements.Count(source);
        RowCount = Bnb4BitQuantizer.PackedLength(_elements);
    }

    public long RowCount { get; }

    public long RowByteLength => 1;

    /// <summary>Two float32 values per byte of output.</summary>
    public long ScratchBytesPerRow => 2 * sizeof(float);

    public int ChunkRowMultiple => _blocksize / 2;

    public string Description => string.Create(CultureInfo.InvariantCulture, $"quantize {(_type == BnbQuantType.Nf4 ? "nf4" : "fp4")} (block {_blocksize})");

    public void Produce(long firstRow, int rowCount, Span<byte> destination, Span<byte> scratch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstRow);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstRow + rowCount, RowCount, nameof(rowCount));
        ArgumentOutOfRangeException.ThrowIfNotEqual(destination.Length, rowCount, nameof(destination));
        if (firstRow % ChunkRowMultiple != 0)
            throw new ArgumentException($"chunks must start on a block boundary (a multiple of {ChunkRowMultiple} bytes)", nameof(firstRow));

        var first = 2 * firstRow;
        var count = (int)Math.Min(2L * rowCount, _elements - first);
        var values = MemoryMarshal.Cast<byte, float>(scratch)[..count];
        FlatElements.Read(_source, first, values);
        var blocks = (int)Bnb4BitQuantizer.BlockCount(count, _blocksize);
        var absmax = ArrayPool<float>.Shared.Rent(blocks);
        try
        {
            Bnb4BitQuantizer.Quantize(values, _type, _blocksize, destination, absmax.AsSpan(0, blocks), _source.Name);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(absmax);
        }
    }
}
