using Thaw.Tensors;

namespace Thaw.Models;

/// <summary>
/// A bitsandbytes LLM.int8 weight (Linear8bitLt): <c>X.weight</c> int8 [out, in] with <c>X.SCB</c> float32 [out]
/// and optionally <c>X.weight_format</c>. Construct through <see cref="HfModel"/>, which validates the layout.
/// </summary>
public sealed class BnbInt8Tensor : ModelTensor
{
    internal BnbInt8Tensor(StoredTensor weight, StoredTensor scb, StoredTensor? weightFormat, DType dtype)
        : base(weight.Name, weight.Info.Shape, dtype)
    {
        Weight = weight;
        Scb = scb;
        WeightFormat = weightFormat;
    }

    public StoredTensor Weight { get; }

    /// <summary>Per-row absmax of the float16 weight.</summary>
    public StoredTensor Scb { get; }

    /// <summary>The uint8 layout code (0 = row-major); absent in older checkpoints, which are row-major.</summary>
    public StoredTensor? WeightFormat { get; }

    public override ModelTensorKind Kind => ModelTensorKind.BnbInt8;

    public override IReadOnlyList<StoredTensor> StoredParts =>
        WeightFormat is null ? [Weight, Scb] : [Weight, Scb, WeightFormat];
}
