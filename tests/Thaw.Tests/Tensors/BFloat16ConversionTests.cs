using CsCheck;
using Thaw.Tensors;

namespace Thaw.Tests.Tensors;

public class BFloat16ConversionTests
{
    [Theory]
    [InlineData(0x3F80_0000u, 0x3F80)] // 1.0
    [InlineData(0xBFC0_0000u, 0xBFC0)] // -1.5
    [InlineData(0x4049_0FDBu, 0x4049)] // pi rounds down
    [InlineData(0x3F80_7FFFu, 0x3F80)] // just below the tie
    [InlineData(0x3F80_8000u, 0x3F80)] // tie, kept part even: stays
    [InlineData(0x3F80_8001u, 0x3F81)] // just above the tie
    [InlineData(0x3F81_8000u, 0x3F82)] // tie, kept part odd: up to even
    [InlineData(0x7F7F_7FFFu, 0x7F7F)] // largest value that stays at bfloat16 max
    [InlineData(0x7F7F_8000u, 0x7F80)] // tie above bfloat16 max overflows to Inf
    [InlineData(0x7F7F_FFFFu, 0x7F80)] // float max overflows
    [InlineData(0x7F80_0000u, 0x7F80)] // +Inf
    [InlineData(0xFF80_0000u, 0xFF80)] // -Inf
    [InlineData(0x0000_0000u, 0x0000)] // +0
    [InlineData(0x8000_0000u, 0x8000)] // -0
    [InlineData(0x0000_0001u, 0x0000)] // smallest float subnormal rounds to zero
    [InlineData(0x0000_8000u, 0x0000)] // subnormal tie, even: zero
    [InlineData(0x0001_8000u, 0x0002)] // subnormal tie, odd: up
    [InlineData(0x8000_8001u, 0x8001)] // negative subnormal above the tie
    [InlineData(0x007F_FFFFu, 0x0080)] // largest float subnormal rounds up to the smallest normal
    [InlineData(0x7FC0_0000u, 0x7FC0)] // quiet NaN
    [InlineData(0xFFC0_0000u, 0x7FC0)] // c10 drops the NaN sign
    [InlineData(0x7F80_0001u, 0x7FC0)] // NaN whose payload is all in the dropped bits (truncation would give Inf)
    [InlineData(0x7FFF_FFFFu, 0x7FC0)] // NaN that the rounding carry would wrap to zero
    [InlineData(0xFF80_0001u, 0x7FC0)]
    public void FromSingleMatchesHandCheckedBits(uint single, int expected)
    {
        Assert.Equal((ushort)expected, FloatConversions.SingleToBFloat16Bits(BitConverter.UInt32BitsToSingle(single)));
    }

    [Theory]
    [InlineData(0x3F80, 1.0f)]
    [InlineData(0xC000, -2.0f)]
    [InlineData(0x4049, 3.140625f)]
    [InlineData(0x7F7F, 3.3895314e38f)]
    [InlineData(0x0080, 1.1754944e-38f)]
    [InlineData(0x0001, 9.18355e-41f)]
    [InlineData(0x7F80, float.PositiveInfinity)]
    [InlineData(0xFF80, float.NegativeInfinity)]
    public void ToSingleMatchesKnownValues(int bits, float expected)
    {
        Assert.Equal(expected, FloatConversions.BFloat16BitsToSingle((ushort)bits));
    }

    [Fact]
    public void ToSingleIsTheExactShiftForAllPatterns()
    {
        foreach (var bits in ConversionSamples.AllUInt16())
            Assert.Equal((uint)bits << 16, BitConverter.SingleToUInt32Bits(FloatConversions.BFloat16BitsToSingle(bits)));
    }

    [Fact]
    public void FromSingleMatchesNearestEvenByComparison()
    {
        foreach (var value in ConversionSamples.Singles(200_000))
        {
            var expected = float.IsNaN(value) ? (ushort)0x7FC0 : NearestByComparison(value);
            var actual = FloatConversions.SingleToBFloat16Bits(value);
            if (actual != expected)
                Assert.Fail($"0x{BitConverter.SingleToUInt32Bits(value):X8} -> 0x{actual:X4}, expected 0x{expected:X4}");
        }
    }

    [Fact]
    public void EveryWidthMatchesScalarToSingleOnAllPatterns() =>
        WidthChecks.MatchScalar<ushort, float>(ConversionSamples.AllUInt16(), BFloat16Kernels.ToSingle, BFloat16Kernels.ToSingle);

    [Fact]
    public void EveryWidthMatchesScalarFromSingle() =>
        WidthChecks.MatchScalar<float, ushort>(ConversionSamples.Singles(100_000), BFloat16Kernels.FromSingle, BFloat16Kernels.FromSingle);

    [Fact]
    public void PublicSpanConvertersMatchScalar()
    {
        var patterns = ConversionSamples.AllUInt16();
        var floats = new float[patterns.Length];
        FloatConversions.BFloat16ToSingle(patterns, floats);
        ConversionSamples.AssertSameBits(patterns.Select(FloatConversions.BFloat16BitsToSingle).ToArray(), floats, "BFloat16ToSingle");

        var values = ConversionSamples.Singles(10_000);
        var narrowed = new ushort[values.Length];
        FloatConversions.SingleToBFloat16(values, narrowed);
        ConversionSamples.AssertSameBits(values.Select(FloatConversions.SingleToBFloat16Bits).ToArray(), narrowed, "SingleToBFloat16");
    }

    [Fact]
    public void RoundTripIsWithinHalfAnUlpAndIdempotent()
    {
        Gen.UInt.Select(BitConverter.UInt32BitsToSingle).Where(float.IsFinite).Sample(value =>
        {
            var bits = FloatConversions.SingleToBFloat16Bits(value);
            var back = FloatConversions.BFloat16BitsToSingle(bits);
            Assert.Equal(bits, FloatConversions.SingleToBFloat16Bits(back));
            if (float.IsFinite(back))
            {
                // bfloat16 keeps 8 significant bits: the spacing at back's binade is 2^(exponent - 7).
                var ulp = Math.Max(Math.ScaleB(1.0, Math.ILogB(Math.Abs((double)back)) - 7), Math.ScaleB(1.0, -133));
                Assert.True(Math.Abs((double)back - value) <= ulp / 2, $"{value:R} -> {back:R}");
            }
        }, iter: 200_000);
    }

    [Fact]
    public void EveryNonNaNPatternSurvivesTheRoundTrip()
    {
        foreach (var bits in ConversionSamples.AllUInt16().Where(b => (b & 0x7FFF) <= 0x7F80))
            Assert.Equal(bits, FloatConversions.SingleToBFloat16Bits(FloatConversions.BFloat16BitsToSingle(bits)));
    }

    /// <summary>
    /// Independent reference: picks the nearer of the two bfloat16 neighbours by exact double distances (ties to
    /// the even one), treating the value past bfloat16 max as 2^128 so that overflow rounds to Inf.
    /// </summary>
    private static ushort NearestByComparison(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        var sign = (ushort)((bits >> 16) & 0x8000);
        if (float.IsInfinity(value))
            return (ushort)(sign | 0x7F80);
        var below = (bits & 0x7FFF_FFFF) >> 16;
        var exact = Math.Abs((double)value);
        var lower = (double)BitConverter.UInt32BitsToSingle(below << 16);
        var upper = below + 1 == 0x7F80 ? Math.Pow(2, 128) : BitConverter.UInt32BitsToSingle((below + 1) << 16);
        var chosen = (exact - lower).CompareTo(upper - exact) switch
        {
            < 0 => below,
            > 0 => below + 1,
            _ => below % 2 == 0 ? below : below + 1,
        };
        return (ushort)(sign | chosen);
    }
}
