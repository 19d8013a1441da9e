using CsCheck;
using Thaw.Tensors;

namespace Thaw.Tests.Tensors;

public class HalfConversionTests
{
    [Theory]
    [InlineData(1.0f, 0x3C00)]
    [InlineData(-2.0f, 0xC000)]
    [InlineData(0.0f, 0x0000)]
    [InlineData(-0.0f, 0x8000)]
    [InlineData(65504f, 0x7BFF)] // half max
    [InlineData(65519.99f, 0x7BFF)] // just below the overflow threshold
    [InlineData(65520f, 0x7C00)] // overflow threshold (tie above max, max is odd): Inf
    [InlineData(-65520f, 0xFC00)]
    [InlineData(float.MaxValue, 0x7C00)]
    [InlineData(float.PositiveInfinity, 0x7C00)]
    [InlineData(float.NegativeInfinity, 0xFC00)]
    [InlineData(6.1035156e-05f, 0x0400)] // 2^-14, smallest normal
    [InlineData(5.9604645e-08f, 0x0001)] // 2^-24, smallest subnormal
    [InlineData(2.9802322e-08f, 0x0000)] // 2^-25, tie between 0 and 2^-24: even is 0
    [InlineData(2.9802326e-08f, 0x0001)] // one float ulp above that tie
    [InlineData(8.940697e-08f, 0x0002)] // 1.5 * 2^-24, tie between 1 and 2 subnormal steps: even is 2
    [InlineData(1e-8f, 0x0000)]
    [InlineData(1.00048828125f, 0x3C00)] // 1 + 2^-11, tie: even stays
    [InlineData(1.00146484375f, 0x3C02)] // 1 + 3 * 2^-11, tie with odd kept part: up
    public void FromSingleMatchesHandCheckedBits(float value, int expected)
    {
        Assert.Equal((ushort)expected, FloatConversions.SingleToHalfBits(value));
    }

    [Theory]
    [InlineData(0x387F_FFFFu, 0x0400)] // largest float below 2^-14 rounds up to the smallest normal half
    [InlineData(0x3F80_1001u, 0x3C01)] // one float ulp above the tie at 1 + 2^-11
    [InlineData(0x7FC0_0000u, 0x7E00)] // NaN becomes c10's quiet NaN
    [InlineData(0xFFC0_0000u, 0xFE00)] // with its sign kept
    [InlineData(0x7F80_0001u, 0x7E00)] // payload below the kept bits: still NaN, not Inf
    [InlineData(0x7FA0_0000u, 0x7E00)] // payload is not carried over (c10 portable conversion)
    [InlineData(0xFFFF_FFFFu, 0xFE00)]
    public void FromSingleMatchesHandCheckedBitPatterns(uint single, int expected)
    {
        Assert.Equal((ushort)expected, FloatConversions.SingleToHalfBits(BitConverter.UInt32BitsToSingle(single)));
    }

    [Theory]
    [InlineData(0x7C01, 0x7FC0_2000u)] // signalling NaN comes back quiet, payload kept
    [InlineData(0x7D00, 0x7FE0_0000u)]
    [InlineData(0x7E00, 0x7FC0_0000u)]
    [InlineData(0xFFFF, 0xFFFF_E000u)]
    [InlineData(0x7C00, 0x7F80_0000u)]
    [InlineData(0xFC00, 0xFF80_0000u)]
    [InlineData(0x0001, 0x3380_0000u)] // 2^-24
    [InlineData(0x03FF, 0x387F_C000u)] // largest subnormal
    [InlineData(0x8000, 0x8000_0000u)]
    public void ToSingleMatchesHandCheckedBits(int half, uint expected)
    {
        Assert.Equal(expected, BitConverter.SingleToUInt32Bits(FloatConversions.HalfBitsToSingle((ushort)half)));
    }

    [Fact]
    public void ToSingleMatchesDotNetHalfForAllPatterns()
    {
        foreach (var bits in ConversionSamples.AllUInt16())
        {
            var actual = FloatConversions.HalfBitsToSingle(bits);
            if ((bits & 0x7FFF) > 0x7C00)
            {
                // NaN: quiet bit set, sign and payload kept (what the c10 float path gives on x86).
                var expectedNaN = ((uint)(bits & 0x8000) << 16) | 0x7FC0_0000u | ((uint)(bits & 0x3FF) << 13);
                Assert.Equal(expectedNaN, BitConverter.SingleToUInt32Bits(actual));
            }
            else
            {
                var expected = (float)BitConverter.UInt16BitsToHalf(bits);
                Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(actual));
            }
        }
    }

    [Fact]
    public void FromSingleMatchesDotNetHalfOnNonNaN()
    {
        foreach (var value in ConversionSamples.Singles(200_000).Where(v => !float.IsNaN(v)))
        {
            var expected = BitConverter.HalfToUInt16Bits((Half)value);
            var actual = FloatConversions.SingleToHalfBits(value);
            if (actual != expected)
                Assert.Fail($"0x{BitConverter.SingleToUInt32Bits(value):X8} -> 0x{actual:X4}, expected 0x{expected:X4}");
        }
    }

    [Fact]
    public void EveryWidthMatchesScalarToSingleOnAllPatterns() =>
        WidthChecks.MatchScalar<ushort, float>(ConversionSamples.AllUInt16(), HalfKernels.ToSingle, HalfKernels.ToSingle);

    [Fact]
    public void EveryWidthMatchesScalarFromSingle() =>
        WidthChecks.MatchScalar<float, ushort>(ConversionSamples.Singles(100_000), HalfKernels.FromSingle, HalfKernels.FromSingle);

    [Fact]
    public void PublicSpanConvertersMatchScalar()
    {
        var patterns = ConversionSamples.AllUInt16();
        var floats = new float[patterns.Length];
        FloatConversions.HalfToSingle(patterns, floats);
        ConversionSamples.AssertSameBits(patterns.Select(FloatConversions.HalfBitsToSingle).ToArray(), floats, "HalfToSingle");

        var values = ConversionSamples.Singles(10_000);
        var narrowed = new ushort[values.Length];
        FloatConversions.SingleToHalf(values, narrowed);
        ConversionSamples.AssertSameBits(values.Select(FloatConversions.SingleToHalfBits).ToArray(), narrowed, "SingleToHalf");
    }

    [Fact]
    public void RoundTripIsWithinHalfAnUlpAndIdempotent()
    {
        Gen.Float[-65504f, 65504f].Sample(value =>
        {
            var bits = FloatConversions.SingleToHalfBits(value);
            var back = FloatConversions.HalfBitsToSingle(bits);
            Assert.Equal(bits, FloatConversions.SingleToHalfBits(back));
            // float16 keeps 11 significant bits down to 2^-14, then a fixed 2^-24 spacing.
            var ulp = Math.Max(Math.ScaleB(1.0, Math.ILogB(Math.Abs((double)back)) - 10), Math.ScaleB(1.0, -24));
            Assert.True(Math.Abs((double)back - value) <= ulp / 2, $"{value:R} -> {back:R}");
        }, iter: 200_000);
    }

    [Fact]
    public void EveryNonNaNPatternSurvivesTheRoundTrip()
    {
        foreach (var bits in ConversionSamples.AllUInt16().Where(b => (b & 0x7FFF) <= 0x7C00))
            Assert.Equal(bits, FloatConversions.SingleToHalfBits(FloatConversions.HalfBitsToSingle(bits)));
    }
}
