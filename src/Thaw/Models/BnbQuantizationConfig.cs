using Thaw.Quantization.Bnb;
using Thaw.Tensors;

namespace Thaw.Models;

/// <summary>
/// transformers' BitsAndBytesConfig as stored in config.json's quantization_config, with its defaults filled in.
/// The per-tensor quant-state JSON, not this, decides how each 4-bit weight is decoded; this records what the
/// model was quantized with (and what a writer has to remove).
/// </summary>
/// <param name="LoadIn4Bit">load_in_4bit (or the legacy _load_in_4bit).</param>
/// <param name="LoadIn8Bit">load_in_8bit (or the legacy _load_in_8bit): LLM.int8 weights.</param>
/// <param name="QuantType">bnb_4bit_quant_type, default fp4.</param>
/// <param name="UseDoubleQuant">bnb_4bit_use_double_quant, default false.</param>
/// <param name="ComputeDType">bnb_4bit_compute_dtype, default float32 (affects the matmul only, not dequantization).</param>
/// <param name="QuantStorage">bnb_4bit_quant_storage, default uint8 (the dtype the packed bytes are stored as).</param>
/// <param name="SkipModules">llm_int8_skip_modules: modules left unquantized; null when not given.</param>
/// <param name="Int8Threshold">llm_int8_threshold, default 6.0.</param>
public sealed record BnbQuantizationConfig(
    bool LoadIn4Bit,
    bool LoadIn8Bit,
    BnbQuantType QuantType,
    bool UseDoubleQuant,
    DType ComputeDType,
    DType QuantStorage,
    IReadOnlyList<string>? SkipModules,
    double Int8Threshold)
{
    internal static BnbQuantizationConfig Parse(ConfigReader reader)
    {
        var loadIn4Bit = reader.Bool("load_in_4bit") ?? reader.Bool("_load_in_4bit") ?? false;
        var loadIn8Bit = reader.Bool("load_in_8bit") ?? reader.Bool("_load_in_8bit") ?? false;
        if (loadIn4Bit && loadIn8Bit)
            throw reader.Bad("load_in_8bit", true, "false when load_in_4bit is true (a model is either 4-bit or 8-bit)");

        var quantType = reader.String("bnb_4bit_quant_type") switch
        {
            null or "fp4" => BnbQuantType.Fp4,
            "nf4" => BnbQuantType.Nf4,
            _ => throw reader.Bad("bnb_4bit_quant_type", reader.Json["bnb_4bit_quant_type"], "\"nf4\" or \"fp4\""),
        };
        var computeDType = ParseDType(reader, "bnb_4bit_compute_dtype", DType.F32,
            d => d is DType.F32 or DType.F16 or DType.BF16 or DType.F64, "float32, float16, bfloat16 or float64");
        var storage = ParseDType(reader, "bnb_4bit_quant_storage", DType.U8,
            d => d is DType.U8 or DType.I8 or DType.F16 or DType.BF16 or DType.F32 or DType.F64,
            "uint8, int8, float16, bfloat16, float32 or float64");

        return new BnbQuantizationConfig(
            loadIn4Bit,
            loadIn8Bit,
            quantType,
            reader.Bool("bnb_4bit_use_double_quant") ?? false,
            computeDType,
            storage,
            reader.StringList("llm_int8_skip_modules"),
            reader.Number("llm_int8_threshold") ?? 6.0);
    }

    private static DType ParseDType(ConfigReader reader, string key, DType fallback, Func<DType, bool> allowed, string expected)
    {
        var name = reader.String(key);
        if (name is null)
            return fallback;
        if (!DTypes.TryParseTorchName(name, out var dtype) || !allowed(dtype.Value))
            throw reader.Bad(key, reader.Json[key], expected);
        return dtype.Value;
    }
}
