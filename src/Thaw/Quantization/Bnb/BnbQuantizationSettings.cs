using Thaw.Tensors;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// What to quantize a model to: the settings of transformers' BitsAndBytesConfig that shape the checkpoint.
/// Defaults are BitsAndBytesConfig's except the format (nf4, what nearly every published 4-bit model uses).
/// </summary>
public sealed record BnbQuantizationSettings
{
    /// <summary>The 4-bit blocksize bitsandbytes uses unless told otherwise.</summary>
    public const int DefaultBlocksize = 64;

    public BnbQuantizeFormat Format { get; init; } = BnbQuantizeFormat.Nf4;

    /// <summary>Elements per absmax block of 4-bit weights (ignored for int8).</summary>
    public int Blocksize { get; init; } = DefaultBlocksize;

    /// <summary>bnb_4bit_use_double_quant: quantize the block maxima too (4-bit only).</summary>
    public bool DoubleQuant { get; init; }

    /// <summary>bnb_4bit_compute_dtype: the dtype the 4-bit matmul runs in (F32, F16 or BF16).</summary>
    public DType ComputeDType { get; init; } = DType.F32;

    /// <summary>
    /// Modules to keep unquantized besides the output embedding (llm_int8_skip_modules): a name matches every module
    /// whose full name starts or ends with it, as transformers matches them.
    /// </summary>
    public IReadOnlyList<string> SkipModules { get; init; } = [];

    public bool IsFourBit => Format != BnbQuantizeFormat.Int8;

    /// <summary>The 4-bit code table (only for 4-bit formats).</summary>
    public BnbQuantType QuantType => Format switch
    {
        BnbQuantizeFormat.Nf4 => BnbQuantType.Nf4,
        BnbQuantizeFormat.Fp4 => BnbQuantType.Fp4,
        _ => throw new InvalidOperationException("int8 has no 4-bit quant type"),
    };

    /// <summary>Parses "nf4", "fp4" or "int8".</summary>
    /// <exception cref="BnbQuantizeException">Any other name (<see cref="BnbQuantizeError.UnknownType"/>).</exception>
    public static BnbQuantizeFormat ParseFormat(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToLowerInvariant() switch
        {
            "nf4" => BnbQuantizeFormat.Nf4,
            "fp4" => BnbQuantizeFormat.Fp4,
            "int8" or "llm.int8" => BnbQuantizeFormat.Int8,
            _ => throw new BnbQuantizeException(BnbQuantizeError.UnknownType, null, null,
                $"quantization type '{name}' is not one bitsandbytes writes; use nf4, fp4 or int8"),
        };
    }

    /// <summary>Parses a compute dtype: bf16/bfloat16, f16/fp16/float16 or f32/fp32/float32.</summary>
    /// <exception cref="BnbQuantizeException">Any other name (<see cref="BnbQuantizeError.BadComputeDType"/>).</exception>
    public static DType ParseComputeDType(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToLowerInvariant() switch
        {
            "bf16" or "bfloat16" => DType.BF16,
            "f16" or "fp16" or "float16" or "half" => DType.F16,
            "f32" or "fp32" or "float32" or "float" => DType.F32,
            _ => throw new BnbQuantizeException(BnbQuantizeError.BadComputeDType, null, null,
                $"compute dtype '{name}' is not one bitsandbytes computes in; use bf16, f16 or f32"),
        };
    }

    /// <summary>Checks the settings as a whole.</summary>
    /// <exception cref="BnbQuantizeException">A setting is out of range or does not apply to the format.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Format))
            throw new BnbQuantizeException(BnbQuantizeError.UnknownType, null, null, $"quantization format {(int)Format} is not nf4, fp4 or int8");
        if (IsFourBit)
            CheckBlocksize(Blocksize);
        if (ComputeDType is not (DType.F32 or DType.F16 or DType.BF16))
            throw new BnbQuantizeException(BnbQuantizeError.BadComputeDType, null, null,
                $"compute dtype {DTypes.TorchName(ComputeDType)} is not one bitsandbytes computes in; use bf16, f16 or f32");
        if (DoubleQuant && !IsFourBit)
            throw new BnbQuantizeException(BnbQuantizeError.IncompatibleOptions, null, null,
                "double quantization applies to 4-bit weights only; drop --double-quant or use --type nf4/fp4");
        foreach (var module in SkipModules)
        {
            if (string.IsNullOrWhiteSpace(module))
                throw new BnbQuantizeException(BnbQuantizeError.UnknownSkipModule, null, null, "a skipped module name is empty; name modules like 'lm_head' or 'mlp.down_proj'");
        }
    }

    internal static void CheckBlocksize(int blocksize)
    {
        if (!BnbQuantState.ValidBlocksizes.Contains(blocksize))
            throw new BnbQuantizeException(BnbQuantizeError.BadBlocksize, null, null,
                $"blocksize {blocksize} is not one bitsandbytes supports; use one of {string.Join(", ", BnbQuantState.ValidBlocksizes)}");
    }
}
