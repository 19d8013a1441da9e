using Thaw.Quantization.Bnb;

namespace Thaw.Tests.Quantization;

/// <summary>
/// A deliberately plain re-statement of bitsandbytes' dequantization, written from the spec's formulas and the CUDA
/// kernel's literals (not from Thaw's tables), element by element. The fixture tests are the ground truth; this
/// covers what the fixtures lack (other blocksizes, odd counts, several nested blocks).
/// </summary>
internal static class BnbReference
{
    /// <summary>NF4 as the decimals of spec §1.1 (each printed from float32, so the literal is exact).</summary>
    public static readonly float[] Nf4 =
    [
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    ];

    /// <summary>The quant_map bitsandbytes stores for fp4: get_4bit_type('fp4'), with +0.0 at code 8.</summary>
    public static readonly float[] StoredFp4 =
        [.. new[] { 0, 0.0625f, 8, 12, 4, 6, 2, 3, 0, -0.0625f, -8, -12, -4, -6, -2, -3 }.Select(v => v / 12f)];

    /// <summary>csrc/kernels.cu dDequantizeFP4Tree: the magnitude LUT times 1 - 2 * sign bit.</summary>
    public static float Fp4Cuda(int code)
    {
        float[] lut = [0.0f, 0.005208333333f, 0.66666667f, 1.0f, 0.33333333f, 0.5f, 0.16666667f, 0.25f];
        var sign = 1.0f - 2 * ((code & 0b1000) >> 3);
        return lut[code & 0b111] * sign;
    }

    public static float CodeValue(BnbQuantType type, int code) => type == BnbQuantType.Nf4 ? Nf4[code] : Fp4Cuda(code);

    /// <summary>out[e] = code[q(e)] * absmax[e / blocksize] for elements [start, start + count); high nibble = even element.</summary>
    public static float[] Decode(BnbQuantType type, int blocksize, byte[] packed, float[] absmax, long start, int count)
    {
        var result = new float[count];
        for (var i = 0; i < count; i++)
        {
            var e = start + i;
            var b = packed[e / 2];
            var q = e % 2 == 0 ? b >> 4 : b & 0x0F;
            result[i] = CodeValue(type, q) * absmax[e / blocksize];
        }
        return result;
    }

    /// <summary>Spec §3.3: f32(f32(map[code] * nested_absmax[i / nested_blocksize]) + offset), two roundings.</summary>
    public static float[] Absmax(byte[] codes, float[] nestedMap, float[] nestedAbsmax, int nestedBlocksize, float offset)
    {
        var result = new float[codes.Length];
        for (var i = 0; i < codes.Length; i++)
        {
            float product = nestedMap[codes[i]] * nestedAbsmax[i / nestedBlocksize];
            result[i] = product + offset;
        }
        return result;
    }

    /// <summary>Round to nearest even on the bit pattern (finite inputs), as CUDA's __float2bfloat16.</summary>
    public static ushort BFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    /// <summary>IEEE round to nearest even, by the runtime's own Half conversion.</summary>
    public static ushort Half(float value) => BitConverter.HalfToUInt16Bits((Half)value);
}
