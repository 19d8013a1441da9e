namespace Thaw.Lora.Merge;

/// <summary>
/// One change a merge makes to a tensor's float32 values: a LoRA delta, a DoRA rescale, trained rows, a bias term.
/// Steps see whole rows (the tensor's first dimension), in chunks that may run concurrently, so
/// <see cref="Apply"/> must be thread-safe and depend only on its rows.
/// </summary>
public abstract class MergeStep
{
    /// <summary>What the step does, for plans ("+ lora r=8 ×2 (adapter A5)").</summary>
    public abstract string Description { get; }

    /// <summary>The module whose adapter tensors the step applies, named in errors.</summary>
    public abstract string Module { get; }

    /// <summary>Rows the step changes in place: <paramref name="values"/> holds rows [firstRow, firstRow + rowCount).</summary>
    public abstract void Apply(long firstRow, int rowCount, Span<float> values);

    /// <summary>Called once every row of the tensor is done: drops what the step loaded, so memory stays bounded by tensors in flight.</summary>
    public virtual void Release()
    {
    }
}

/// <summary>
/// A step that needs a statistic of the whole tensor as the steps before it leave it (DoRA's per-column norms for
/// Conv1D and embedding weights). The producer calls <see cref="Prepare"/> once before any <see cref="MergeStep.Apply"/>.
/// </summary>
public interface IWholeTensorStep
{
    /// <summary>Called once with a reader of the values before this step (rows in any chunking).</summary>
    void Prepare(long rowCount, long rowLength, Action<long, int, Span<float>> readRowsBefore);
}
