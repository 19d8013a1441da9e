using System.Collections.Immutable;
using System.Globalization;

namespace Thaw.Lora.Merge;

/// <summary>How a LoRA module's ΔW lies in the stored weight (spec/peft-lora.md §3.2-3.5).</summary>
public enum DeltaLayout
{
    /// <summary>nn.Linear [out, in] and ConvNd [out, in, *k]: ΔW = B·A, rows are output features.</summary>
    OutputRows,
    /// <summary>GPT-2 Conv1D [in, out]: ΔW = (B·A)ᵀ, rows are input features.</summary>
    Conv1D,
    /// <summary>nn.Embedding [vocab, dim]: ΔW = (B·A)ᵀ with A [r, vocab] and B [dim, r].</summary>
    Embedding,
}

/// <summary>Turns one adapter module into the merge steps for the weight it adapts.</summary>
public static class ModuleSteps
{
    /// <summary>The layout of <paramref name="module"/>'s delta in a weight of <paramref name="weightShape"/>.</summary>
    /// <param name="module">The module.</param>
    /// <param name="weightShape">The stored weight's shape.</param>
    /// <param name="isConv1D">True when the architecture stores this weight as GPT-2 Conv1D ([in, out]), whatever fan_in_fan_out says.</param>
    public static DeltaLayout LayoutOf(LoraModule module, ImmutableArray<long> weightShape, bool isConv1D)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (module.Kind == LoraModuleKind.Embedding)
            return DeltaLayout.Embedding;
        return isConv1D && weightShape.Length == 2 ? DeltaLayout.Conv1D : DeltaLayout.OutputRows;
    }

    /// <summary>
    /// The steps that merge <paramref name="module"/> into its weight: the delta scaled by PEFT's scaling times
    /// <paramref name="weight"/>, then, for DoRA, the magnitude rescale.
    /// </summary>
    /// <param name="adapter">The adapter holding the module's tensors.</param>
    /// <param name="module">The module (shapes already checked against the weight).</param>
    /// <param name="layout">From <see cref="LayoutOf"/>.</param>
    /// <param name="weight">The adapter's weight (--adapter DIR:WEIGHT); 1 for a plain merge.</param>
    /// <param name="label">How the adapter is named in plans.</param>
    public static IReadOnlyList<MergeStep> For(LoraAdapter adapter, LoraModule module, DeltaLayout layout, double weight, string label)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        ArgumentNullException.ThrowIfNull(module);
        var r = module.Rank;
        var inFeatures = checked((int)module.InFeatures);
        var outFeatures = checked((int)module.OutFeatures);
        // PEFT multiplies the float32 product by the Python float scaling: effectively by (float)scaling.
        var scale = (float)(module.Scaling * weight);
        var what = string.Create(CultureInfo.InvariantCulture, $"lora {label}");
        var delta = layout == DeltaLayout.OutputRows
            ? new LowRankDeltaStep(module.Path, outFeatures, inFeatures, r, scale, what, (coefficients, factors) =>
            {
                adapter.ReadValues(module.B, coefficients);
                adapter.ReadValues(module.A, factors);
            })
            // Rows of the stored [in, out] / [vocab, dim] weight are A's columns; the row vectors are B's columns.
            : new LowRankDeltaStep(module.Path, inFeatures, outFeatures, r, scale, what, (coefficients, factors) =>
            {
                adapter.ReadValuesTransposed(module.A, coefficients);
                adapter.ReadValuesTransposed(module.B, factors);
            });
        if (module.Magnitude is null)
            return [delta];
        var magnitude = adapter.ReadValues(module.Magnitude);
        var axis = layout == DeltaLayout.OutputRows ? DoraAxis.Rows : DoraAxis.Columns;
        return [delta, new DoraRescaleStep(module.Path, magnitude, axis)];
    }

    /// <summary>The steps for <paramref name="module"/>'s lora_B.bias on the layer's bias, when the config enables lora_bias.</summary>
    public static ScaledAddStep? BiasStep(LoraAdapter adapter, LoraModule module, double weight)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        ArgumentNullException.ThrowIfNull(module);
        if (module.BBias is null || !adapter.Config.LoraBias)
            return null;
        return new ScaledAddStep(module.Path, adapter.ReadValues(module.BBias), (float)(module.Scaling * weight));
    }
}
