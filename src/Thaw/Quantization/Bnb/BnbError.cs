namespace Thaw.Quantization.Bnb;

/// <summary>Why bitsandbytes quantized weights could not be used.</summary>
public enum BnbError
{
    /// <summary>The quant-state tensor's name does not end in .quant_state.bitsandbytes__nf4 or __fp4.</summary>
    BadKeyName,

    /// <summary>The quant-state bytes are not a JSON object (or not UTF-8).</summary>
    BadJson,

    /// <summary>The quant-state tensor is too large to be a quant state, or is not uint8.</summary>
    BadQuantStateTensor,

    /// <summary>The quant-state JSON has a key bitsandbytes does not write.</summary>
    UnknownKey,

    /// <summary>The quant-state JSON has the same key twice.</summary>
    DuplicateKey,

    /// <summary>The quant-state JSON lacks a required key (or has only some of the nested keys).</summary>
    MissingKey,

    /// <summary>A quant-state value has the wrong JSON type.</summary>
    WrongType,

    /// <summary>quant_type is not "nf4" or "fp4".</summary>
    BadQuantType,

    /// <summary>quant_type differs from the type in the tensor name.</summary>
    QuantTypeMismatch,

    /// <summary>blocksize or nested_blocksize is not a power of two from 32 to 4096.</summary>
    BadBlocksize,

    /// <summary>dtype or nested_dtype is not float16, bfloat16 or float32.</summary>
    BadDType,

    /// <summary>shape is not a list of non-negative integers whose product fits in 63 bits, or it is null where a shape is needed.</summary>
    BadShape,

    /// <summary>nested_offset is not a finite float32.</summary>
    BadNestedOffset,

    /// <summary>A tensor the quantized weight needs (absmax, quant_map, nested tensors, SCB's weight) is missing.</summary>
    MissingTensor,

    /// <summary>An auxiliary tensor (absmax, SCB, ...) belongs to no quantized weight.</summary>
    OrphanTensor,

    /// <summary>A stored tensor's dtype or size does not match what the quant state implies.</summary>
    BadTensorLayout,

    /// <summary>A stored quant_map is not the 16 finite values of bitsandbytes' table for its quant_type.</summary>
    BadQuantMap,

    /// <summary>A stored absmax, nested_absmax, nested_quant_map or SCB value is NaN or infinite.</summary>
    NonFiniteValue,

    /// <summary>An LLM.int8 weight_format other than 0 (row-major): a GPU tile layout.</summary>
    UnsupportedWeightFormat,
}
