using System.Collections.Immutable;
using Thaw.Tensors;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// The tensors bitsandbytes saves for one quantized Linear weight <c>&lt;module&gt;.weight</c>, with their names, dtypes
/// and shapes, in the order <c>Linear4bit._save_to_state_dict</c> / <c>Linear8bitLt._save_to_state_dict</c> put them
/// in the state dict (the module's bias, a plain tensor, sits between the weight and the rest).
/// </summary>
public static class BnbCheckpointLayout
{
    public const string AbsmaxSuffix = ".absmax";
    public const string QuantMapSuffix = ".quant_map";
    public const string NestedAbsmaxSuffix = ".nested_absmax";
    public const string NestedQuantMapSuffix = ".nested_quant_map";
    public const string ScbName = "SCB";
    public const string WeightFormatName = "weight_format";

    /// <summary>The quant-state tensor of a 4-bit weight: "&lt;weight&gt;.quant_state.bitsandbytes__nf4" (or __fp4).</summary>
    public static string QuantStateName(string weightName, BnbQuantType type) =>
        weightName + BnbQuantState.KeyInfix + (type == BnbQuantType.Nf4 ? "nf4" : "fp4");

    /// <summary>
    /// The tensors of a 4-bit weight of <paramref name="elementCount"/> elements: the packed codes (uint8
    /// [ceil(n/2), 1]), absmax (float32 [blocks], or their uint8 codes when double-quantized), quant_map (float32 [16]),
    /// nested_absmax and nested_quant_map when double-quantized, and the quant-state JSON (uint8 [its length]).
    /// </summary>
    public static IReadOnlyList<TensorInfo> FourBit(
        string weightName, long elementCount, int blocksize, BnbQuantType type, bool doubleQuant, int quantStateLength)
    {
        ArgumentException.ThrowIfNullOrEmpty(weightName);
        var blocks = Bnb4BitQuantizer.BlockCount(elementCount, blocksize);
        var tensors = new List<TensorInfo>
        {
            Info(weightName, DType.U8, [Bnb4BitQuantizer.PackedLength(elementCount), 1]),
            Info(weightName + AbsmaxSuffix, doubleQuant ? DType.U8 : DType.F32, [blocks]),
            Info(weightName + QuantMapSuffix, DType.F32, [BnbStoredLayout.QuantMapLength]),
        };
        if (doubleQuant)
        {
            var nestedBlocks = BnbDoubleQuantizer.NestedBlockCount(checked((int)blocks));
            tensors.Add(Info(weightName + NestedAbsmaxSuffix, DType.F32, [nestedBlocks]));
            tensors.Add(Info(weightName + NestedQuantMapSuffix, DType.F32, [DynamicMap.Length]));
        }
        tensors.Add(Info(QuantStateName(weightName, type), DType.U8, [quantStateLength]));
        return tensors;
    }

    /// <summary>
    /// The tensors of an LLM.int8 weight [rows, columns]: the codes (int8, same shape), SCB (float32 [rows], next to
    /// the weight as "&lt;module&gt;.SCB") and weight_format (a uint8 scalar, 0 = row-major).
    /// </summary>
    public static IReadOnlyList<TensorInfo> Int8(string weightName, long rows, long columns)
    {
        ArgumentException.ThrowIfNullOrEmpty(weightName);
        var prefix = ModulePrefix(weightName);
        return
        [
            Info(weightName, DType.I8, [rows, columns]),
            Info(prefix + ScbName, DType.F32, [rows]),
            Info(prefix + WeightFormatName, DType.U8, []),
        ];
    }

    /// <summary>"model.layers.0.mlp.down_proj." for "model.layers.0.mlp.down_proj.weight" (empty for a bare "weight").</summary>
    public static string ModulePrefix(string weightName)
    {
        ArgumentNullException.ThrowIfNull(weightName);
        var dot = weightName.LastIndexOf('.');
        return dot < 0 ? "" : weightName[..(dot + 1)];
    }

    private static TensorInfo Info(string name, DType dtype, ImmutableArray<long> shape) =>
        new(name, dtype, shape, TensorInfo.TryComputeByteLength(dtype, shape.AsSpan())
            ?? throw new ArgumentOutOfRangeException(nameof(shape), $"tensor '{name}' is too large"));
}
