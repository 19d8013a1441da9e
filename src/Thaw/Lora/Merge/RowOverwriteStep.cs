namespace Thaw.Lora.Merge;

/// <summary>Trainable tokens (spec/peft-lora.md §3.6): the trained rows replace the embedding rows at their token ids.</summary>
public sealed class RowOverwriteStep : MergeStep
{
    private readonly Dictionary<long, int> slotByRow;
    private readonly float[] rows;
    private readonly int rowLength;

    /// <param name="module">The embedding module.</param>
    /// <param name="indices">The token ids, one per trained row.</param>
    /// <param name="rows">indices.Count × rowLength values.</param>
    /// <param name="rowLength">The embedding dimension.</param>
    public RowOverwriteStep(string module, IReadOnlyList<long> indices, float[] rows, int rowLength)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(rows);
        if ((long)indices.Count * rowLength != rows.Length)
            throw new ArgumentException($"{indices.Count} rows of {rowLength} need {(long)indices.Count * rowLength} values, not {rows.Length}", nameof(rows));
        Module = module;
        this.rows = rows;
        this.rowLength = rowLength;
        slotByRow = [];
        // PEFT's index_copy with repeated ids keeps the last row written.
        for (var i = 0; i < indices.Count; i++)
            slotByRow[indices[i]] = i;
    }

    public override string Module { get; }

    public override string Description => $"rows of {slotByRow.Count} trained tokens";

    public override void Apply(long firstRow, int rowCount, Span<float> values)
    {
        for (var r = 0; r < rowCount; r++)
        {
            if (slotByRow.TryGetValue(firstRow + r, out var slot))
                rows.AsSpan(slot * rowLength, rowLength).CopyTo(values.Slice(r * rowLength, rowLength));
        }
    }
}
