namespace Thaw.Lora.Merge;

/// <summary>Which axis of the stored weight DoRA's magnitude runs along.</summary>
public enum DoraAxis
{
    /// <summary>One magnitude per row (Linear [out, in], ConvNd [out, in, *k]): each row's norm over the rest.</summary>
    Rows,
    /// <summary>One magnitude per column (GPT-2 Conv1D [in, out], Embedding [vocab, dim]): each column's norm over the rows.</summary>
    Columns,
}

/// <summary>
/// DoRA (spec/peft-lora.md §3.4): <c>W' = m / ‖V‖ · V</c> with <c>V = W + ΔW</c> the values the steps before leave,
/// the norm taken per output feature (a row or a column of the stored layout). Norms are summed in double and
/// rounded to float32; the factor <c>m / ‖V‖</c> and the product are float32, as PEFT computes them.
/// </summary>
public sealed class DoraRescaleStep : MergeStep, IWholeTensorStep
{
    private readonly float[] magnitude;
    private float[]? columnFactors;

    public DoraRescaleStep(string module, float[] magnitude, DoraAxis axis)
    {
        ArgumentNullException.ThrowIfNull(magnitude);
        Module = module;
        this.magnitude = magnitude;
        Axis = axis;
    }

    public DoraAxis Axis { get; }

    public override string Module { get; }

    public override string Description => Axis == DoraAxis.Rows ? "× DoRA magnitude / row norm" : "× DoRA magnitude / column norm";

    public void Prepare(long rowCount, long rowLength, Action<long, int, Span<float>> readRowsBefore)
    {
        ArgumentNullException.ThrowIfNull(readRowsBefore);
        if (Axis == DoraAxis.Rows)
            return;
        var columns = checked((int)rowLength);
        var sums = new double[columns];
        var chunkRows = (int)Math.Max(1, Math.Min(rowCount, (1 << 20) / Math.Max(1, columns)));
        var buffer = new float[chunkRows * columns];
        for (long row = 0; row < rowCount; row += chunkRows)
        {
            var n = (int)Math.Min(chunkRows, rowCount - row);
            var values = buffer.AsSpan(0, n * columns);
            readRowsBefore(row, n, values);
            for (var r = 0; r < n; r++)
            {
                var rowValues = values.Slice(r * columns, columns);
                for (var c = 0; c < columns; c++)
                    sums[c] += (double)rowValues[c] * rowValues[c];
            }
        }
        var factors = new float[columns];
        for (var c = 0; c < columns; c++)
            factors[c] = magnitude[c] / (float)Math.Sqrt(sums[c]);
        columnFactors = factors;
    }

    public override void Apply(long firstRow, int rowCount, Span<float> values)
    {
        var rowLength = values.Length / rowCount;
        for (var r = 0; r < rowCount; r++)
        {
            var row = values.Slice(r * rowLength, rowLength);
            if (Axis == DoraAxis.Rows)
            {
                var sum = 0.0;
                foreach (var v in row)
                    sum += (double)v * v;
                var factor = magnitude[firstRow + r] / (float)Math.Sqrt(sum);
                for (var c = 0; c < row.Length; c++)
                    row[c] = factor * row[c];
            }
            else
            {
                var factors = columnFactors ?? throw new InvalidOperationException("Prepare was not called before Apply");
                for (var c = 0; c < row.Length; c++)
                    row[c] = factors[c] * row[c];
            }
        }
    }
}
