using Thaw.Tensors;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// Checks that the tensors stored for one quantized weight have the dtypes and sizes bitsandbytes writes, so that
/// a decoder can trust them: 4-bit (Linear4bit) weights with their absmax, quant_map and nested tensors, and
/// LLM.int8 (Linear8bitLt) weights with their SCB. Only headers are looked at, no tensor data.
/// </summary>
public static class BnbStoredLayout
{
    /// <summary>Size of the stored code table of a 4-bit weight.</summary>
    public const int QuantMapLength = 16;

    /// <summary>Size of the stored 8-bit dynamic code table of double quantization.</summary>
    public const int NestedQuantMapLength = 256;

    /// <summary>
    /// Validates a 4-bit weight; <paramref name="fileOf"/> names the file each tensor is in (shards may split a weight
    /// from its absmax), for messages. <paramref name="weight"/> holds ceil(n/2) packed bytes in any byte-aligned storage
    /// dtype; absmax is float32[ceil(n/blocksize)], or uint8 codes of that length with float32 nested_absmax
    /// [ceil(blocks/nested_blocksize)] and nested_quant_map [256] when double-quantized; quant_map is float32[16].
    /// Double quantization is recognized by the nested_absmax tensor, and the quant state must agree.
    /// </summary>
    public static void Validate4Bit(
        BnbQuantState state, Func<TensorInfo, string?> fileOf, TensorInfo weight, TensorInfo? absmax, TensorInfo? quantMap,
        TensorInfo? nestedAbsmax, TensorInfo? nestedQuantMap)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(fileOf);
        ArgumentNullException.ThrowIfNull(weight);
        var name = weight.Name;
        var filePath = fileOf(weight);
        if (state.ElementCount is not { } n)
        {
            BnbFormatException.Throw(BnbError.BadShape, filePath, name, "quant state has shape null, so the weight's size is unknown and it cannot be decoded");
            return;
        }

        if (!DTypes.IsByteAligned(weight.DType))
            BnbFormatException.Throw(BnbError.BadTensorLayout, filePath, name, $"packed 4-bit weight is {DTypes.SafetensorsName(weight.DType)}, expected a byte-aligned storage dtype (uint8)");
        var packedBytes = n / 2 + n % 2;
        if (weight.ByteLength != packedBytes)
            BnbFormatException.Throw(BnbError.BadTensorLayout, filePath, name,
                $"packed 4-bit weight holds {weight.ByteLength} bytes, but shape [{string.Join(", ", state.Shape!.Value)}] needs {packedBytes} (two codes per byte)");

        var blocks = n / state.Blocksize + (n % state.Blocksize == 0 ? 0 : 1);
        RequireQuantMap(quantMap, fileOf, name, ".quant_map", QuantMapLength);
        if (absmax is null)
        {
            BnbFormatException.Throw(BnbError.MissingTensor, filePath, name + ".absmax", $"4-bit weight '{name}' has no absmax tensor; the checkpoint is incomplete");
            return;
        }

        if (state.Nested is not { } nested)
        {
            if (nestedAbsmax is not null || nestedQuantMap is not null)
                BnbFormatException.Throw(BnbError.BadTensorLayout, filePath, name,
                    "weight has nested absmax tensors but its quant state has no nested_blocksize/nested_dtype/nested_offset");
            RequireVector(absmax, fileOf, DType.F32, blocks, $"{blocks} float32 block maxima (blocksize {state.Blocksize})");
            return;
        }

        if (nestedAbsmax is null)
            BnbFormatException.Throw(BnbError.MissingTensor, filePath, name + ".nested_absmax", $"double-quantized weight '{name}' has no nested_absmax tensor");
        RequireQuantMap(nestedQuantMap, fileOf, name, ".nested_quant_map", NestedQuantMapLength);
        RequireVector(absmax, fileOf, DType.U8, blocks, $"{blocks} uint8 codes of the block maxima (blocksize {state.Blocksize})");
        var nestedBlocks = blocks / nested.Blocksize + (blocks % nested.Blocksize == 0 ? 0 : 1);
        RequireVector(nestedAbsmax, fileOf, nested.DType, nestedBlocks,
            $"{nestedBlocks} {DTypes.TorchName(nested.DType)} maxima of the {blocks} absmax codes (nested blocksize {nested.Blocksize})");
    }

    /// <summary>
    /// Validates an LLM.int8 weight: int8 [out, in], SCB float32 [out] (the per-row absmax), and the optional
    /// weight_format holding a single uint8.
    /// </summary>
    public static void ValidateInt8(Func<TensorInfo, string?> fileOf, TensorInfo weight, TensorInfo scb, TensorInfo? weightFormat)
    {
        ArgumentNullException.ThrowIfNull(fileOf);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(scb);
        var filePath = fileOf(weight);
        if (weight.DType != DType.I8 || weight.Shape.Length != 2)
            BnbFormatException.Throw(BnbError.BadTensorLayout, filePath, weight.Name,
                $"LLM.int8 weight is {DTypes.SafetensorsName(weight.DType)} {weight.ShapeText}, expected a 2-D I8 matrix [out, in]");
        RequireVector(scb, fileOf, DType.F32, weight.Shape[0], $"{weight.Shape[0]} float32 row maxima (one per output row)");
        if (weightFormat is not null && (weightFormat.DType != DType.U8 || weightFormat.ElementCount != 1))
            BnbFormatException.Throw(BnbError.BadTensorLayout, fileOf(weightFormat), weightFormat.Name,
                $"weight_format is {DTypes.SafetensorsName(weightFormat.DType)} {weightFormat.ShapeText}, expected a single uint8");
    }

    private static void RequireQuantMap(TensorInfo? map, Func<TensorInfo, string?> fileOf, string weightName, string suffix, int length)
    {
        if (map is null)
            BnbFormatException.Throw(BnbError.MissingTensor, null, weightName + suffix, $"4-bit weight '{weightName}' has no {suffix.TrimStart('.')} tensor; the checkpoint is incomplete");
        RequireVector(map, fileOf, DType.F32, length, $"{length} float32 code values");
    }

    private static void RequireVector(TensorInfo tensor, Func<TensorInfo, string?> fileOf, DType dtype, long length, string expected)
    {
        if (tensor.DType != dtype || tensor.ElementCount != length)
            BnbFormatException.Throw(BnbError.BadTensorLayout, fileOf(tensor), tensor.Name,
                $"tensor is {DTypes.SafetensorsName(tensor.DType)} {tensor.ShapeText}, expected {expected}");
    }
}
