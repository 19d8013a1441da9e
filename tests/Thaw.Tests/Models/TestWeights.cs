using System.Text;
using Thaw.Formats.Safetensors;
using Thaw.Tensors;

namespace Thaw.Tests.Models;

/// <summary>Small hand-made weight files for the rejection tests of model folders.</summary>
internal static class TestWeights
{
    public sealed record Tensor(string Name, DType DType, long[] Shape, byte[]? Data = null);

    public static Tensor T(string name, DType dtype, params long[] shape) => new(name, dtype, shape);

    /// <summary>A uint8 tensor holding the UTF-8 bytes of <paramref name="json"/> (a bitsandbytes quant state).</summary>
    public static Tensor Json(string name, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        return new(name, DType.U8, [bytes.Length], bytes);
    }

    /// <summary>Writes a safetensors file; tensors without data are zero-filled.</summary>
    public static void Write(string path, params Tensor[] tensors)
    {
        var infos = tensors.Select(t => new TensorInfo(t.Name, t.DType, [.. t.Shape],
            TensorInfo.TryComputeByteLength(t.DType, t.Shape)!.Value)).ToList();
        using var writer = SafetensorsWriter.Create(path, infos);
        foreach (var (tensor, info) in tensors.Zip(infos))
        {
            if (info.ByteLength > 0)
                writer.Write(info, 0, tensor.Data ?? new byte[info.ByteLength]);
        }
        writer.Complete();
    }

    /// <summary>The tensors of a 4-bit weight as bitsandbytes writes them (uint8 storage).</summary>
    public static Tensor[] FourBit(string weight, long rows, long cols, bool doubleQuant, int blocksize = 64)
    {
        var n = rows * cols;
        var blocks = (n + blocksize - 1) / blocksize;
        var nested = doubleQuant
            ? """, "nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": 0.5"""
            : "";
        var type = doubleQuant ? "nf4" : "fp4";
        List<Tensor> list =
        [
            T(weight, DType.U8, (n + 1) / 2, 1),
            T(weight + ".absmax", doubleQuant ? DType.U8 : DType.F32, blocks),
            T(weight + ".quant_map", DType.F32, 16),
            Json($"{weight}.quant_state.bitsandbytes__{type}",
                $$"""{"quant_type": "{{type}}", "blocksize": {{blocksize}}, "dtype": "float16", "shape": [{{rows}}, {{cols}}]{{nested}}}"""),
        ];
        if (doubleQuant)
        {
            list.Add(T(weight + ".nested_absmax", DType.F32, (blocks + 255) / 256));
            list.Add(T(weight + ".nested_quant_map", DType.F32, 256));
        }
        return [.. list];
    }
}
