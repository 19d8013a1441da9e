using System.Runtime.InteropServices;
using Thaw.Lora;
using Thaw.Tensors;

namespace Thaw.Pipeline.Merge;

/// <summary>
/// A merged tensor for a safetensors output: the merged float32 rows rounded once to the output dtype. A value that
/// is not finite in the output dtype (NaN, or beyond its range) stops the run with an error naming the tensor and
/// the module that caused it.
/// </summary>
public sealed class MergeProducer : ITensorProducer
{
    private readonly MergedRowSource values;
    private readonly DType dtype;

    /// <param name="values">The merged rows.</param>
    /// <param name="dtype">F32, F16 or BF16.</param>
    /// <param name="sourceDescription">What the source is ("dequantize nf4", "BF16", "adapter tensor F32").</param>
    public MergeProducer(MergedRowSource values, DType dtype, string sourceDescription)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (dtype is not (DType.F32 or DType.F16 or DType.BF16))
            throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "merged values are written as F32, F16 or BF16");
        this.values = values;
        this.dtype = dtype;
        RowCount = values.RowCount;
        RowByteLength = checked(values.RowLength * DTypes.ByteSize(dtype));
        ScratchBytesPerRow = dtype == DType.F32 ? 0 : checked(values.RowLength * sizeof(float));
        Description = string.Join(" ", values.Steps.Select(s => s.Description).Prepend(sourceDescription)) + $" → {DTypes.SafetensorsName(dtype)}";
    }

    public long RowCount { get; }

    public long RowByteLength { get; }

    public long ScratchBytesPerRow { get; }

    public int ChunkRowMultiple => 1;

    public string Description { get; }

    public void Produce(long firstRow, int rowCount, Span<byte> destination, Span<byte> scratch)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(destination.Length, rowCount * RowByteLength, nameof(destination));
        var rows = dtype == DType.F32
            ? MemoryMarshal.Cast<byte, float>(destination)
            : MemoryMarshal.Cast<byte, float>(scratch[..checked((int)(rowCount * ScratchBytesPerRow))]);
        values.ReadRows(firstRow, rowCount, rows);
        if (dtype != DType.F32)
            FloatConversions.FromSingle(rows, dtype, destination);
        if (NonFiniteValues.IndexOf(destination, dtype) is var index and >= 0)
            ThrowNonFinite(values, dtype, firstRow + index / Math.Max(1, values.RowLength));
    }

    /// <summary>Stops the run for a merged value that is not finite in <paramref name="dtype"/>, naming its cause.</summary>
    internal static void ThrowNonFinite(MergedRowSource values, DType dtype, long row)
    {
        var culprit = values.FirstNonFiniteStep(row, out var sourceNonFinite) ?? (sourceNonFinite
            ? "the source values (the base or replacement tensor holds NaN/Inf)"
            : $"rounding to {DTypes.SafetensorsName(dtype)} (a merged value is beyond its range; write F32 or BF16 with --dtype)");
        throw new LoraException(LoraError.NonFiniteResult, null, values.Name,
            $"merged row {row} holds NaN or Inf, caused by {culprit}; nothing was written");
    }
}
