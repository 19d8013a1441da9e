using System.Globalization;

namespace Thaw.Lora.Merge;

/// <summary>
/// Adds <c>scale · coefficients @ factors</c> to the rows: a LoRA ΔW laid out in the stored weight's rows
/// (<see cref="ModuleSteps"/> builds it for Linear, Conv1D, ConvNd and Embedding modules).
/// </summary>
public sealed class LowRankDeltaStep : MergeStep
{
    private readonly float[] coefficients;
    private readonly float[] factors;
    private readonly int rank;
    private readonly float scale;

    /// <param name="module">The adapted module.</param>
    /// <param name="coefficients">rows × rank values.</param>
    /// <param name="factors">rank × row-length values.</param>
    /// <param name="rank">The LoRA rank.</param>
    /// <param name="scale">PEFT's scaling times the adapter's weight, as float32.</param>
    /// <param name="what">How the step is described in plans.</param>
    public LowRankDeltaStep(string module, float[] coefficients, float[] factors, int rank, float scale, string what)
    {
        ArgumentNullException.ThrowIfNull(coefficients);
        ArgumentNullException.ThrowIfNull(factors);
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        if (coefficients.Length % rank != 0 || factors.Length % rank != 0)
            throw new ArgumentException($"coefficients ({coefficients.Length}) and factors ({factors.Length}) are not multiples of rank {rank}");
        Module = module;
        this.coefficients = coefficients;
        this.factors = factors;
        this.rank = rank;
        this.scale = scale;
        Rows = coefficients.Length / rank;
        RowLength = factors.Length / rank;
        Description = string.Create(CultureInfo.InvariantCulture, $"+ {what} r={rank} ×{scale:G6}");
    }

    public override string Module { get; }

    public override string Description { get; }

    /// <summary>Rows of the delta (the weight's first dimension).</summary>
    public long Rows { get; }

    /// <summary>Values per row.</summary>
    public long RowLength { get; }

    public override void Apply(long firstRow, int rowCount, Span<float> values)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstRow + rowCount, Rows, nameof(rowCount));
        LowRankKernel.AddScaledProduct(coefficients.AsSpan(checked((int)(firstRow * rank)), rowCount * rank), factors, rank, scale, values);
    }
}
