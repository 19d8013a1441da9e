using Thaw.Tensors;

namespace Thaw.Tests.Tensors;

/// <summary>Inputs shared by the conversion tests: edge cases plus seeded random bit patterns.</summary>
internal static class ConversionSamples
{
    public static readonly SimdWidth[] AllWidths = Enum.GetValues<SimdWidth>();

    /// <summary>Every 16-bit pattern, 0x0000..0xFFFF.</summary>
    public static ushort[] AllUInt16() => Enumerable.Range(0, 1 << 16).Select(i => (ushort)i).ToArray();

    /// <summary>
    /// Float bit patterns at the boundaries that matter for bfloat16 and float16: zeros, Inf, NaN payloads,
    /// float subnormals, half subnormal and overflow thresholds, and rounding ties (kept part even and odd) with
    /// their neighbours one float ulp either side.
    /// </summary>
    public static uint[] SpecialSingleBits()
    {
        var bits = new List<uint>
        {
            0x0000_0000, 0x0000_0001, 0x0000_7FFF, 0x0000_8000, 0x0000_8001, 0x0001_8000, 0x007F_FFFF, 0x0080_0000,
            0x3F80_0000, 0x3F80_8000, 0x3F81_8000, 0x3F80_1000, 0x3F80_3000, 0x4049_0FDB,
            0x3380_0000, 0x3300_0000, 0x3340_0000, 0x33C0_0000, 0x387F_FFFF, 0x3880_0000, 0x387F_C000, 0x387F_E000,
            0x477F_E000, 0x477F_EFFF, 0x477F_F000, 0x477F_F001, 0x4780_0000,
            0x7F7F_7FFF, 0x7F7F_8000, 0x7F7F_FFFF, 0x7F80_0000,
            0x7F80_0001, 0x7F80_1000, 0x7FA0_0000, 0x7FC0_0000, 0x7FC0_0001, 0x7FFF_E000, 0x7FFF_FFFF,
        };
        // Ties and their neighbours for both formats at several exponents, including the half subnormal range.
        foreach (var exponent in new uint[] { 0x01, 0x60, 0x67, 0x68, 0x70, 0x71, 0x7F, 0x8E, 0xFE })
        {
            foreach (var kept in new uint[] { 0, 1, 2, 0x3FF, 0x7F })
            {
                foreach (var (shift, half) in new[] { (16, 0x8000u), (13, 0x1000u) })
                {
                    var tie = (exponent << 23) | ((kept << shift) & 0x7F_FFFF) | half;
                    bits.AddRange([tie - 1, tie, tie + 1]);
                }
            }
        }
        foreach (var b in bits.ToArray())
            bits.Add(b | 0x8000_0000);
        return bits.Distinct().ToArray();
    }

    /// <summary>Edge cases followed by seeded random bit patterns (all exponents) and random values in the half range.</summary>
    public static float[] Singles(int randomCount, int seed = 20240611)
    {
        var random = new Random(seed);
        var values = SpecialSingleBits().Select(BitConverter.UInt32BitsToSingle).ToList();
        for (var i = 0; i < randomCount; i++)
        {
            values.Add(i % 2 == 0
                ? BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32))
                : (float)((random.NextDouble() * 2 - 1) * Math.Pow(2, random.Next(-26, 17))));
        }
        return values.ToArray();
    }

    public static void AssertSameBits(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var e = BitConverter.SingleToUInt32Bits(expected[i]);
            var a = BitConverter.SingleToUInt32Bits(actual[i]);
            if (e != a)
                Assert.Fail($"{context}: element {i} is 0x{a:X8}, expected 0x{e:X8}");
        }
    }

    public static void AssertSameBits(ReadOnlySpan<ushort> expected, ReadOnlySpan<ushort> actual, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            if (expected[i] != actual[i])
                Assert.Fail($"{context}: element {i} is 0x{actual[i]:X4}, expected 0x{expected[i]:X4}");
        }
    }
}
