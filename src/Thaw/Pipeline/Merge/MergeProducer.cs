using System.Runtime.InteropServices;
using Thaw.Lora;
using Thaw.Lora.Merge;
using Thaw.Pipeline.Sources;
using Thaw.Tensors;

namespace Thaw.Pipeline.Merge;

/// <summary>
/// A merged tensor: the source's float32 rows (a base weight, dequantized when quantized, or an adapter's
/// replacement), every merge step applied in order, then rounded once to the output dtype. A value that is not
/// finite in the output dtype (NaN, or beyond its range) stops the run with an error naming the tensor and module.
/// </summary>
public sealed class MergeProducer : ITensorProducer
{
    private readonly ITensorRowSource source;
    private readonly IReadOnlyList<MergeStep> steps;
    private readonly DType dtype;
    private readonly Lazy<bool> prepared;
    private long producedRows;

    /// <param name="source">The values merged into.</param>
    /// <param name="steps">The changes, in order.</param>
    /// <param name="dtype">F32, F16 or BF16.</param>
    /// <param name="sourceDescription">What the source is ("dequantize nf4", "BF16", "replaced by adapter tensor").</param>
    public MergeProducer(ITensorRowSource source, IReadOnlyList<MergeStep> steps, DType dtype, string sourceDescription)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(steps);
        if (dtype is not (DType.F32 or DType.F16 or DType.BF16))
            throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "merged values are written as F32, F16 or BF16");
        this.source = source;
        this.steps = steps;
        this.dtype = dtype;
        RowCount = source.RowCount;
        RowByteLength = checked(source.RowLength * DTypes.ByteSize(dtype));
        ScratchBytesPerRow = dtype == DType.F32 ? 0 : checked(source.RowLength * sizeof(float));
        Description = string.Join(" ", steps.Select(s => s.Description).Prepend(sourceDescription)) + $" → {DTypes.SafetensorsName(dtype)}";
        prepared = new Lazy<bool>(Prepare, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public long RowCount { get; }

    public long RowByteLength { get; }

    public long ScratchBytesPerRow { get; }

    public int ChunkRowMultiple => 1;

    public string Description { get; }

    /// <summary>The steps, in order.</summary>
    public IReadOnlyList<MergeStep> Steps => steps;

    public void Produce(long firstRow, int rowCount, Span<byte> destination, Span<byte> scratch)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(destination.Length, rowCount * RowByteLength, nameof(destination));
        _ = prepared.Value;
        var values = dtype == DType.F32
            ? MemoryMarshal.Cast<byte, float>(destination)
            : MemoryMarshal.Cast<byte, float>(scratch[..checked((int)(rowCount * ScratchBytesPerRow))]);
        ReadThrough(steps.Count, firstRow, rowCount, values);
        if (dtype != DType.F32)
            FloatConversions.FromSingle(values, dtype, destination);
        if (NonFiniteValues.IndexOf(destination, dtype) is var index and >= 0)
            ThrowNonFinite(firstRow, rowCount, index);
        if (Interlocked.Add(ref producedRows, rowCount) == RowCount)
        {
            foreach (var step in steps)
                step.Release();
        }
    }

    private void ReadThrough(int stepCount, long firstRow, int rowCount, Span<float> values)
    {
        source.ReadRows(firstRow, rowCount, values);
        for (var i = 0; i < stepCount; i++)
            steps[i].Apply(firstRow, rowCount, values);
    }

    private bool Prepare()
    {
        for (var i = 0; i < steps.Count; i++)
        {
            if (steps[i] is IWholeTensorStep whole)
            {
                var before = i;
                whole.Prepare(source.RowCount, source.RowLength, (first, count, values) => ReadThrough(before, first, count, values));
            }
        }
        return true;
    }

    private void ThrowNonFinite(long firstRow, int rowCount, int index)
    {
        var rowLength = Math.Max(1, (int)(RowByteLength / DTypes.ByteSize(dtype)));
        var row = firstRow + index / rowLength;
        // Find the first step whose result is not finite, so the error names the module that caused it.
        var values = new float[rowLength];
        source.ReadRows(row, 1, values);
        var culprit = "the base values";
        if (!NonFiniteValues.AllFinite(values))
            culprit = "the source values (the base or replacement tensor holds NaN/Inf)";
        else
        {
            foreach (var step in steps)
            {
                step.Apply(row, 1, values);
                if (!NonFiniteValues.AllFinite(values))
                {
                    culprit = $"module '{step.Module}' ({step.Description})";
                    break;
                }
            }
            if (culprit == "the base values")
                culprit = $"rounding to {DTypes.SafetensorsName(dtype)} (a merged value is beyond its range; write F32 or BF16 with --dtype)";
        }
        throw new LoraException(LoraError.NonFiniteResult, null, source.Name,
            $"merged row {row} (of {rowCount} in this chunk) holds NaN or Inf, caused by {culprit}; nothing was written");
    }
}
