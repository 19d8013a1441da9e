using Thaw.Quantization.Bnb;
using Thaw.Tensors;

namespace Thaw.Models;

/// <summary>
/// A bitsandbytes 4-bit weight (Linear4bit): <c>X.weight</c> (packed codes) with <c>X.weight.absmax</c>,
/// <c>X.weight.quant_map</c>, <c>X.weight.quant_state.bitsandbytes__nf4|fp4</c> and, when double-quantized,
/// <c>X.weight.nested_absmax</c> and <c>X.weight.nested_quant_map</c>. Its shape and dtype are those of the
/// quant state. Construct through <see cref="HfModel"/>, which validates the stored layout.
/// </summary>
public sealed class Bnb4BitTensor : ModelTensor
{
    internal Bnb4BitTensor(
        StoredTensor weight, BnbQuantState quantState, StoredTensor quantStateTensor, StoredTensor absmax,
        StoredTensor quantMap, StoredTensor? nestedAbsmax, StoredTensor? nestedQuantMap)
        : base(weight.Name, quantState.Shape!.Value, quantState.DType)
    {
        Weight = weight;
        QuantState = quantState;
        QuantStateTensor = quantStateTensor;
        Absmax = absmax;
        QuantMap = quantMap;
        NestedAbsmax = nestedAbsmax;
        NestedQuantMap = nestedQuantMap;
    }

    /// <summary>The packed codes, two per byte, high nibble first.</summary>
    public StoredTensor Weight { get; }

    public BnbQuantState QuantState { get; }

    public StoredTensor QuantStateTensor { get; }

    /// <summary>float32 block maxima, or their uint8 codes when double-quantized.</summary>
    public StoredTensor Absmax { get; }

    public StoredTensor QuantMap { get; }

    public StoredTensor? NestedAbsmax { get; }

    public StoredTensor? NestedQuantMap { get; }

    public BnbQuantType QuantType => QuantState.QuantType;

    public int Blocksize => QuantState.Blocksize;

    public bool IsDoubleQuant => QuantState.IsDoubleQuant;

    /// <summary>The dtype the packed bytes are stored as (bnb_4bit_quant_storage, normally U8).</summary>
    public DType StorageDType => Weight.Info.DType;

    public override ModelTensorKind Kind => ModelTensorKind.Bnb4Bit;

    public override IReadOnlyList<StoredTensor> StoredParts =>
        NestedAbsmax is null
            ? [Weight, Absmax, QuantMap, QuantStateTensor]
            : [Weight, Absmax, QuantMap, NestedAbsmax, NestedQuantMap!, QuantStateTensor];
}
