using System.Globalization;
using System.Runtime.InteropServices;
using Thaw.Formats.Gguf;
using Thaw.Formats.Gguf.Quants;
using Thaw.Pipeline.Merge;
using Thaw.Pipeline.Sources;
using Thaw.Tensors;

namespace Thaw.Pipeline.Gguf;

/// <summary>
/// One GGUF tensor: float32 rows (a weight decoded, dequantized or merged) encoded to a ggml type, row by row
/// (a GGUF row is a Hugging Face row: ne0 is the innermost dimension). For llama's q/k weights the rows of each
/// head are permuted into the interleaved rotary order (spec/gguf.md §3.2), so chunks hold whole heads.
/// </summary>
public sealed class GgufRowProducer : ITensorProducer
{
    private readonly ITensorRowSource values;
    private readonly GgmlRowCodec codec;
    private readonly int rowsPerHead;

    /// <param name="values">The rows, in Hugging Face order.</param>
    /// <param name="type">The ggml type to write.</param>
    /// <param name="rowsPerHead">For a permuted q/k tensor its head_dim; 0 for no permutation.</param>
    /// <exception cref="GgufException">No codec writes <paramref name="type"/>, or the rows are not whole blocks of it.</exception>
    public GgufRowProducer(ITensorRowSource values, GgmlType type, int rowsPerHead)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (!GgmlRowCodecs.TryGet(type, out var found))
        {
            GgufException.Throw(GgufError.UnwritableValue, null, values.Name,
                $"would be written as {GgmlTypes.Name(type)}, which Thaw has no encoder for (it writes {string.Join(", ", GgmlRowCodecs.Supported.Select(GgmlTypes.Name))}); choose another --gguf-type");
        }
        if (values.RowLength % found.BlockSize != 0)
        {
            GgufException.Throw(GgufError.RowNotBlockAligned, null, values.Name,
                $"rows of {values.RowLength} values are not whole {GgmlTypes.Name(type)} blocks of {found.BlockSize}; choose another --gguf-type");
        }
        if (rowsPerHead < 0 || rowsPerHead % 2 != 0 || (rowsPerHead > 0 && values.RowCount % rowsPerHead != 0))
            throw new ArgumentOutOfRangeException(nameof(rowsPerHead), rowsPerHead, $"{values.RowCount} rows are not whole heads of an even size");
        this.values = values;
        codec = found;
        this.rowsPerHead = rowsPerHead;
        RowCount = values.RowCount;
        RowByteLength = codec.RowByteLength(checked((int)values.RowLength));
        ScratchBytesPerRow = checked(values.RowLength * sizeof(float));
        Description = string.Create(CultureInfo.InvariantCulture, $"{GgmlTypes.Name(type)}{(rowsPerHead > 0 ? $", rotary rows permuted (head_dim {rowsPerHead})" : "")}");
    }

    public long RowCount { get; }

    public long RowByteLength { get; }

    public long ScratchBytesPerRow { get; }

    public int ChunkRowMultiple => Math.Max(1, rowsPerHead);

    public string Description { get; }

    public void Produce(long firstRow, int rowCount, Span<byte> destination, Span<byte> scratch)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(destination.Length, rowCount * RowByteLength, nameof(destination));
        var rowLength = (int)values.RowLength;
        var rows = MemoryMarshal.Cast<byte, float>(scratch[..checked(rowCount * rowLength * sizeof(float))]);
        values.ReadRows(firstRow, rowCount, rows);
        if (NonFiniteValues.IndexOf(MemoryMarshal.AsBytes(rows), DType.F32) is var index and >= 0)
            ThrowNonFinite(firstRow + index / rowLength);
        var rowBytes = (int)RowByteLength;
        for (var k = 0; k < rowCount; k++)
        {
            var source = rowsPerHead == 0 ? k : (int)(QueryKeyPermutation.SourceRow(firstRow + k, rowsPerHead) - firstRow);
            codec.Quantize(rows.Slice(source * rowLength, rowLength), destination.Slice(k * rowBytes, rowBytes));
        }
    }

    private void ThrowNonFinite(long row)
    {
        if (values is MergedRowSource merged)
            merged.ThrowNonFinite(DType.F32, row);
        GgufException.Throw(GgufError.UnwritableValue, null, values.Name, $"row {row} holds NaN or Inf; the source tensor is damaged");
    }
}
