using System.Globalization;
using System.Runtime.InteropServices;
using Thaw.Models;
using Thaw.Quantization.Bnb;
using Thaw.Tensors;
using Thaw.Tests.Quantization;
using static Thaw.Tests.Models.TestWeights;

namespace Thaw.Tests.Pipeline;

/// <summary>Small bitsandbytes checkpoints with chosen contents, laid out as bitsandbytes saves them (spec §5, §6).</summary>
internal static class BnbCheckpoint
{
    public const string Weight = "model.layers.0.mlp.up_proj.weight";

    /// <summary>A 4-bit weight with float32 absmax; <paramref name="packed"/> is stored as <paramref name="storage"/>.</summary>
    public static List<Tensor> FourBit(long[] shape, BnbQuantType type, int blocksize, byte[] packed, float[] absmax, DType storage = DType.U8) =>
    [
        Packed(packed, storage),
        Floats(Weight + ".absmax", absmax),
        Floats(Weight + ".quant_map", QuantMap(type)),
        QuantState(type, blocksize, shape, nested: ""),
    ];

    /// <summary>A double-quantized NF4 weight: uint8 absmax codes, nested maxima and code table.</summary>
    public static List<Tensor> DoubleQuant(
        long[] shape, int blocksize, byte[] packed, byte[] absmaxCodes, float[] nestedAbsmax, float[] nestedMap, float offset, int nestedBlocksize = 256) =>
    [
        Packed(packed, DType.U8),
        new(Weight + ".absmax", DType.U8, [absmaxCodes.Length], absmaxCodes),
        Floats(Weight + ".quant_map", QuantMap(BnbQuantType.Nf4)),
        Floats(Weight + ".nested_absmax", nestedAbsmax),
        Floats(Weight + ".nested_quant_map", nestedMap),
        QuantState(BnbQuantType.Nf4, blocksize, shape,
            $", \"nested_blocksize\": {nestedBlocksize}, \"nested_dtype\": \"float32\", \"nested_offset\": {((double)offset).ToString("R", CultureInfo.InvariantCulture)}"),
    ];

    /// <summary>An LLM.int8 weight [rows, codes.Length / rows] with its SCB and, when given, weight_format.</summary>
    public static List<Tensor> Int8(sbyte[] codes, float[] scb, byte? weightFormat)
    {
        var module = Weight[..^".weight".Length];
        List<Tensor> tensors =
        [
            new(Weight, DType.I8, [scb.Length, codes.Length / scb.Length], MemoryMarshal.AsBytes(codes.AsSpan()).ToArray()),
            Floats(module + ".SCB", scb),
        ];
        if (weightFormat is { } format)
            tensors.Add(new(module + ".weight_format", DType.U8, [], [format]));
        return tensors;
    }

    public static Tensor Floats(string name, float[] values) => new(name, DType.F32, [values.Length], MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    /// <summary>The quant_map bitsandbytes stores: get_4bit_type (fp4 with +0.0 at code 8).</summary>
    public static float[] QuantMap(BnbQuantType type) => type == BnbQuantType.Nf4 ? BnbReference.Nf4 : BnbReference.StoredFp4;

    /// <summary>Writes the tensors to a model.safetensors in <paramref name="folder"/> and opens the folder.</summary>
    public static HfModel Open(TempFolder folder, IEnumerable<Tensor> tensors)
    {
        Write(folder.File("model.safetensors"), [.. tensors]);
        return HfModel.Open(ModelLocation.ForExistingPath(folder.Path));
    }

    // Same bytes in any storage dtype: shape [(n+1) / (2 * itemsize), 1].
    private static Tensor Packed(byte[] packed, DType storage)
    {
        var itemSize = DTypes.ByteSize(storage);
        Assert.Equal(0, packed.Length % itemSize);
        return new(Weight, storage, [packed.Length / itemSize, 1], packed);
    }

    private static Tensor QuantState(BnbQuantType type, int blocksize, long[] shape, string nested)
    {
        var name = type == BnbQuantType.Nf4 ? "nf4" : "fp4";
        return Json($"{Weight}.quant_state.bitsandbytes__{name}",
            $$"""{"quant_type": "{{name}}", "blocksize": {{blocksize}}, "dtype": "bfloat16", "shape": [{{string.Join(", ", shape)}}]{{nested}}}""");
    }
}
