using System.Runtime.InteropServices;
using Thaw.Pipeline;

namespace Thaw.Quantization.Bnb;

/// <summary>One of the tensors made from a weight's block statistics, produced whole (a single row).</summary>
internal sealed class Bnb4BitStatisticsProducer : ITensorProducer
{
    private readonly Bnb4BitBlockStatistics _statistics;
    private readonly Kind _kind;

    public Bnb4BitStatisticsProducer(Bnb4BitBlockStatistics statistics, Kind kind)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        _statistics = statistics;
        _kind = kind;
        var blocks = statistics.BlockCount;
        ScratchBytesPerRow = Math.Min(Bnb4BitBlockStatistics.ReadElements, statistics.ElementCount) * sizeof(float);
        RowByteLength = kind switch
        {
            Kind.Absmax => checked(blocks * sizeof(float)),
            Kind.AbsmaxCodes => blocks,
            _ => checked(BnbDoubleQuantizer.NestedBlockCount(checked((int)blocks)) * sizeof(float)),
        };
    }

    /// <summary>Which tensor: plain float32 absmax, or (double quant) its uint8 codes or the nested float32 maxima.</summary>
    public enum Kind
    {
        Absmax,
        AbsmaxCodes,
        NestedAbsmax,
    }

    public long RowCount => 1;

    public long RowByteLength { get; }

    /// <summary>The read buffer of the pass over the weight (the statistics' own arrays are outside the budget).</summary>
    public long ScratchBytesPerRow { get; }

    public int ChunkRowMultiple => 1;

    public string Description => _kind switch
    {
        Kind.Absmax => "block maxima (float32)",
        Kind.AbsmaxCodes => "double-quantized block maxima (uint8 codes)",
        _ => "nested block maxima (float32)",
    };

    public void Produce(long firstRow, int rowCount, Span<byte> destination, Span<byte> scratch)
    {
        if (firstRow != 0 || rowCount != 1)
            throw new ArgumentOutOfRangeException(nameof(rowCount), "this tensor is produced whole, as one row");
        ArgumentOutOfRangeException.ThrowIfNotEqual(destination.Length, RowByteLength, nameof(destination));
        var result = _statistics.Take(MemoryMarshal.Cast<byte, float>(scratch));
        ReadOnlySpan<byte> bytes = _kind switch
        {
            Kind.Absmax => MemoryMarshal.AsBytes(result.Absmax.AsSpan()),
            Kind.AbsmaxCodes => result.Codes,
            _ => MemoryMarshal.AsBytes(result.NestedAbsmax.AsSpan()),
        };
        bytes.CopyTo(destination);
    }
}
