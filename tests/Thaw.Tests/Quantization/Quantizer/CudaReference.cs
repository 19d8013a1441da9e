namespace Thaw.Tests.Quantization.Quantizer;

/// <summary>
/// The bitsandbytes CUDA decision functions transcribed literally from csrc/kernels.cu (dQuantizeNF4's balanced tree,
/// dQuantizeFP4's nested ifs) and their thresholds as float32 bit patterns from the spec: an independent statement of
/// what the quantizer's flat comparisons must reproduce.
/// </summary>
internal static class CudaReference
{
    public static readonly float[] Nf4Thresholds = Bits(
        0xbf591cd8, 0xbf1c5270, 0xbeeb8480, 0xbeadea76, 0xbe703cec, 0xbe0d38bc, 0xbd3a7871, 0x3d22faff,
        0x3df64862, 0x3e5067e0, 0x3e9582d4, 0x3ec753f9, 0x3f006d04, 0x3f248daf, 0x3f5c89da);

    public static readonly float[] Fp4Literals = Bits(0x3b2aaab9, 0x3db00000, 0x3e555555, 0x3e955555, 0x3ed55556, 0x3f155550, 0x3f555555);

    public static int Nf4(float x)
    {
        var t = Nf4Thresholds;
        if (x > t[7])
        {
            if (x > t[11])
            {
                if (x > t[13])
                    return x > t[14] ? 15 : 14;
                return x > t[12] ? 13 : 12;
            }
            if (x > t[9])
                return x > t[10] ? 11 : 10;
            return x > t[8] ? 9 : 8;
        }
        if (x > t[3])
        {
            if (x > t[5])
                return x > t[6] ? 7 : 6;
            return x > t[4] ? 5 : 4;
        }
        if (x > t[1])
            return x > t[2] ? 3 : 2;
        return x > t[0] ? 1 : 0;
    }

    public static int Fp4(float x)
    {
        var l = Fp4Literals;
        var sign = x < 0 ? 0b1000 : 0;
        var a = MathF.Abs(x);
        int code;
        if (a > l[3])
        {
            if (a > l[5])
                code = a > l[6] ? 0b011 : 0b010;
            else
                code = a > l[4] ? 0b101 : 0b100;
        }
        else if (a > l[1])
        {
            code = a > l[2] ? 0b111 : 0b110;
        }
        else
        {
            code = a > l[0] ? 0b001 : 0b000;
        }
        return code + sign;
    }

    private static float[] Bits(params uint[] bits) => [.. bits.Select(BitConverter.UInt32BitsToSingle)];
}
