using System.Collections.Immutable;
using Thaw.Lora;
using Thaw.Lora.Merge;
using Thaw.Pipeline.Sources;
using Thaw.Tensors;

namespace Thaw.Pipeline.Merge;

/// <summary>
/// A tensor's float32 rows with merge steps applied: the source's rows (a base weight, dequantized when quantized,
/// or an adapter's replacement), then every step in order. Whole-tensor statistics (DoRA column norms) are gathered
/// once, before the first rows are read; the steps release what they loaded once every row has been read once.
/// </summary>
public sealed class MergedRowSource : ITensorRowSource
{
    private readonly ITensorRowSource source;
    private readonly Lazy<bool> prepared;
    private long rowsRead;

    public MergedRowSource(ITensorRowSource source, IReadOnlyList<MergeStep> steps)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(steps);
        this.source = source;
        Steps = steps;
        prepared = new Lazy<bool>(Prepare, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string Name => source.Name;

    public ImmutableArray<long> Shape => source.Shape;

    public long RowCount => source.RowCount;

    public long RowLength => source.RowLength;

    /// <summary>The steps, in order.</summary>
    public IReadOnlyList<MergeStep> Steps { get; }

    public void ReadRows(long firstRow, int rowCount, Span<float> destination)
    {
        _ = prepared.Value;
        ReadThrough(Steps.Count, firstRow, rowCount, destination);
        if (Interlocked.Add(ref rowsRead, rowCount) == RowCount)
        {
            foreach (var step in Steps)
                step.Release();
        }
    }

    /// <summary>
    /// The module of the first step that turns a finite value of row <paramref name="row"/> into NaN or Inf; null when
    /// the source row already holds one, or when every step's result is finite.
    /// </summary>
    public string? FirstNonFiniteStep(long row, out bool sourceNonFinite)
    {
        var values = new float[RowLength];
        source.ReadRows(row, 1, values);
        sourceNonFinite = !NonFiniteValues.AllFinite(values);
        if (sourceNonFinite)
            return null;
        foreach (var step in Steps)
        {
            step.Apply(row, 1, values);
            if (!NonFiniteValues.AllFinite(values))
                return $"module '{step.Module}' ({step.Description})";
        }
        return null;
    }

    /// <summary>Stops the run for a merged value that is not finite in <paramref name="dtype"/>, naming its cause.</summary>
    /// <exception cref="LoraException">Always.</exception>
    public void ThrowNonFinite(DType dtype, long row)
    {
        var culprit = FirstNonFiniteStep(row, out var sourceNonFinite) ?? (sourceNonFinite
            ? "the source values (the base or replacement tensor holds NaN/Inf)"
            : $"rounding to {DTypes.SafetensorsName(dtype)} (a merged value is beyond its range; write F32 or BF16 with --dtype)");
        throw new LoraException(LoraError.NonFiniteResult, null, Name, $"merged row {row} holds NaN or Inf, caused by {culprit}; nothing was written");
    }

    private void ReadThrough(int stepCount, long firstRow, int rowCount, Span<float> values)
    {
        source.ReadRows(firstRow, rowCount, values);
        for (var i = 0; i < stepCount; i++)
            Steps[i].Apply(firstRow, rowCount, values);
    }

    private bool Prepare()
    {
        for (var i = 0; i < Steps.Count; i++)
        {
            if (Steps[i] is IWholeTensorStep whole)
            {
                var before = i;
                whole.Prepare(source.RowCount, source.RowLength, (first, count, values) => ReadThrough(before, first, count, values));
            }
        }
        return true;
    }
}
