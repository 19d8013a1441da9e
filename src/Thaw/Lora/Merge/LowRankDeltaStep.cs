using System.Globalization;

namespace Thaw.Lora.Merge;

/// <summary>
/// Adds <c>scale · coefficients @ factors</c> to the rows: a LoRA ΔW laid out in the stored weight's rows
/// (<see cref="ModuleSteps"/> builds it for Linear, Conv1D, ConvNd and Embedding modules). The factors are read
/// from the adapter when the tensor is first produced and dropped when it is done.
/// </summary>
public sealed class LowRankDeltaStep : MergeStep
{
    private readonly FactorLoader load;
    private readonly int rank;
    private readonly float scale;
    private readonly Lock gate = new();
    private (PooledValues Coefficients, PooledValues Factors)? loaded;

    /// <summary>Fills rows × rank coefficients and rank × rowLength factors.</summary>
    public delegate void FactorLoader(Span<float> coefficients, Span<float> factors);

    /// <param name="module">The adapted module.</param>
    /// <param name="rows">Rows of the delta (the weight's first dimension).</param>
    /// <param name="rowLength">Values per row.</param>
    /// <param name="rank">The LoRA rank.</param>
    /// <param name="scale">PEFT's scaling times the adapter's weight, as float32.</param>
    /// <param name="what">How the step is described in plans.</param>
    /// <param name="load">Reads rows × rank coefficients and rank × rowLength factors.</param>
    public LowRankDeltaStep(string module, long rows, long rowLength, int rank, float scale, string what, FactorLoader load)
    {
        ArgumentNullException.ThrowIfNull(load);
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        Module = module;
        Rows = rows;
        RowLength = rowLength;
        this.rank = rank;
        this.scale = scale;
        this.load = load;
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
        var (coefficients, factors) = Loaded();
        LowRankKernel.AddScaledProduct(coefficients.Span.Slice(checked((int)(firstRow * rank)), rowCount * rank), factors.Span, rank, scale, values);
    }

    // Only called once every row is done, so no Apply is still using the buffers.
    public override void Release()
    {
        lock (gate)
        {
            loaded?.Coefficients.Dispose();
            loaded?.Factors.Dispose();
            loaded = null;
        }
    }

    private (PooledValues Coefficients, PooledValues Factors) Loaded()
    {
        lock (gate)
        {
            if (loaded is { } values)
                return values;
            var coefficients = new PooledValues(Rows * rank);
            var factors = new PooledValues(rank * RowLength);
            try
            {
                load(coefficients.Span, factors.Span);
            }
            catch
            {
                coefficients.Dispose();
                factors.Dispose();
                throw;
            }
            loaded = (coefficients, factors);
            return (coefficients, factors);
        }
    }
}
