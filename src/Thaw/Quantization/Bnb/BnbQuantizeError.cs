namespace Thaw.Quantization.Bnb;

/// <summary>Why a model or a tensor could not be quantized to a bitsandbytes format.</summary>
public enum BnbQuantizeError
{
    /// <summary>The 4-bit blocksize is not one bitsandbytes supports (32, 64, ..., 4096).</summary>
    BadBlocksize,

    /// <summary>The quantization type name is not nf4, fp4 or int8.</summary>
    UnknownType,

    /// <summary>The compute dtype is not float32, float16 or bfloat16.</summary>
    BadComputeDType,

    /// <summary>The model is already quantized (it has a quantization_config or quantized tensors).</summary>
    AlreadyQuantized,

    /// <summary>A weight chosen for quantization is not a float16, bfloat16 or float32 tensor.</summary>
    NonFloatWeight,

    /// <summary>A weight holds NaN or infinity, which has no quantized representation.</summary>
    NonFiniteValue,

    /// <summary>The model folder has no config.json, so the quantized model could not be described.</summary>
    MissingConfig,

    /// <summary>A --skip module name matches no module of the model.</summary>
    UnknownSkipModule,

    /// <summary>A setting does not apply to the chosen format (double quantization with int8).</summary>
    IncompatibleOptions,

    /// <summary>No module of the model can be quantized.</summary>
    NothingToQuantize,
}
