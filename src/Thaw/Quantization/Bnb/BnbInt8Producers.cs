using System.Runtime.InteropServices;
using Thaw.Pipeline;
using Thaw.Pipeline.Sources;

namespace Thaw.Quantization.Bnb;

/// <summary>The int8 codes of an LLM.int8 weight, row by row (each row is quantized on its own).</summary>
internal sealed class BnbInt8CodesProducer(ITensorRowSource source) : ITensorProducer
{
    public long RowCount => source.RowCount;

    public long RowByteLength => source.RowLength;

    public long ScratchBytesPerRow => checked(source.RowLength * sizeof(float));

    public int ChunkRowMultiple => 1;

    public string Description => "quantize LLM.int8 (per-row absmax)";

    public void Produce(long firstRow, int rowCount, Span<byte> destination, Span<byte> scratch)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(destination.Length, rowCount * RowByteLength, nameof(destination));
        var length = (int)source.RowLength;
        var values = MemoryMarshal.Cast<byte, float>(scratch)[..(rowCount * length)];
        source.ReadRows(firstRow, rowCount, values);
        var codes = MemoryMarshal.Cast<byte, sbyte>(destination);
        for (var r = 0; r < rowCount; r++)
            BnbInt8Quantizer.QuantizeRow(values.Slice(r * length, length), codes.Slice(r * length, length), source.Name, firstRow + r);
    }
}

/// <summary>The SCB of an LLM.int8 weight: one float32 per weight row, its largest magnitude in float16.</summary>
internal sealed class BnbInt8ScbProducer(ITensorRowSource source) : ITensorProducer
{
    public long RowCount => source.RowCount;

    public long RowByteLength => sizeof(float);

    public long ScratchBytesPerRow => checked(source.RowLength * sizeof(float));

    public int ChunkRowMultiple => 1;

    public string Description => "LLM.int8 row maxima (SCB)";

    public void Produce(long firstRow, int rowCount, Span<byte> destination, Span<byte> scratch)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(destination.Length, rowCount * RowByteLength, nameof(destination));
        var length = (int)source.RowLength;
        var values = MemoryMarshal.Cast<byte, float>(scratch)[..(rowCount * length)];
        source.ReadRows(firstRow, rowCount, values);
        var scb = MemoryMarshal.Cast<byte, float>(destination);
        for (var r = 0; r < rowCount; r++)
            scb[r] = BnbInt8Quantizer.RowScale(values.Slice(r * length, length), source.Name, firstRow + r);
    }
}
