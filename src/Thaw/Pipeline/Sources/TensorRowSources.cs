using Thaw.Models;
using Thaw.Quantization.Bnb;
using Thaw.Tensors;

namespace Thaw.Pipeline.Sources;

/// <summary>Picks the row source for a model tensor by its kind.</summary>
public static class TensorRowSources
{
    /// <exception cref="BnbFormatException">A quantized weight whose stored tables or format cannot be decoded, or an
    /// int8 weight without the SCB that scales it.</exception>
    public static ITensorRowSource For(ModelTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor switch
        {
            PlainTensor { Stored.Info.DType: DType.I8 } int8 when int8.Name.EndsWith(".weight", StringComparison.Ordinal) => ThrowInt8WithoutScb(int8),
            PlainTensor plain => new PlainRowSource(plain),
            Bnb4BitTensor fourBit => new Bnb4BitRowSource(fourBit),
            BnbInt8Tensor int8 => new BnbInt8RowSource(int8),
            _ => throw new NotSupportedException($"tensor '{tensor.Name}' is {tensor.Kind}, which has no row source"),
        };
    }

    // An int8 weight is LLM.int8 codes; without its per-row scales they are not weights at all.
    private static ITensorRowSource ThrowInt8WithoutScb(PlainTensor weight)
    {
        var scb = weight.Name[..^"weight".Length] + "SCB";
        BnbFormatException.Throw(BnbError.MissingTensor, weight.Stored.FilePath, weight.Name,
            $"int8 weight has no '{scb}' tensor (LLM.int8 row scales), so its codes cannot be turned into values; the checkpoint is incomplete");
        return null;
    }
}
