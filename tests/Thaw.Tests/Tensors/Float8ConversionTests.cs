using Thaw.Tensors;

namespace Thaw.Tests.Tensors;

public class Float8ConversionTests
{
    [Theory]
    [InlineData(0x38, 1.0f)]
    [InlineData(0xC0, -2.0f)]
    [InlineData(0x7E, 448f)] // largest finite
    [InlineData(0x08, 0.015625f)] // 2^-6, smallest normal
    [InlineData(0x01, 0.001953125f)] // 2^-9, smallest subnormal
    [InlineData(0x07, 0.013671875f)] // largest subnormal, 7 * 2^-9
    [InlineData(0x78, 256f)] // exponent 15 is an ordinary binade in e4m3fn
    public void E4M3MatchesKnownValues(int code, float expected)
    {
        Assert.Equal(expected, FloatConversions.Float8E4M3BitsToSingle((byte)code));
    }

    [Theory]
    [InlineData(0x3C, 1.0f)]
    [InlineData(0xC0, -2.0f)]
    [InlineData(0x7B, 57344f)] // largest finite
    [InlineData(0x04, 6.1035156e-05f)] // 2^-14, smallest normal
    [InlineData(0x01, 1.5258789e-05f)] // 2^-16, smallest subnormal
    [InlineData(0x7C, float.PositiveInfinity)]
    [InlineData(0xFC, float.NegativeInfinity)]
    public void E5M2MatchesKnownValues(int code, float expected)
    {
        Assert.Equal(expected, FloatConversions.Float8E5M2BitsToSingle((byte)code));
    }

    [Fact]
    public void E4M3MatchesTheFormatDefinitionForAllCodes()
    {
        for (var code = 0; code < 256; code++)
        {
            var sign = code >> 7;
            var exponent = (code >> 3) & 0xF;
            var mantissa = code & 7;
            uint expected;
            if (exponent == 15 && mantissa == 7)
                expected = ((uint)sign << 31) | 0x7FF0_0000; // the bits c10 produces for e4m3fn NaN
            else
            {
                var magnitude = exponent == 0 ? Math.ScaleB(mantissa, -9) : Math.ScaleB(8 + mantissa, exponent - 10);
                expected = BitConverter.SingleToUInt32Bits((float)(sign == 1 ? -magnitude : magnitude));
            }
            Assert.Equal(expected, BitConverter.SingleToUInt32Bits(FloatConversions.Float8E4M3BitsToSingle((byte)code)));
        }
    }

    [Fact]
    public void E5M2MatchesTheFormatDefinitionForAllCodes()
    {
        for (var code = 0; code < 256; code++)
        {
            var sign = code >> 7;
            var exponent = (code >> 2) & 0x1F;
            var mantissa = code & 3;
            uint expected;
            if (exponent == 31 && mantissa != 0)
                expected = ((uint)sign << 31) | 0x7FC0_0000 | ((uint)mantissa << 21); // quieted, payload kept
            else
            {
                var magnitude = exponent == 31 ? double.PositiveInfinity
                    : exponent == 0 ? Math.ScaleB(mantissa, -16)
                    : Math.ScaleB(4 + mantissa, exponent - 17);
                expected = BitConverter.SingleToUInt32Bits((float)(sign == 1 ? -magnitude : magnitude));
            }
            Assert.Equal(expected, BitConverter.SingleToUInt32Bits(FloatConversions.Float8E5M2BitsToSingle((byte)code)));
        }
    }

    [Fact]
    public void SpanConvertersMatchScalar()
    {
        var codes = Enumerable.Range(0, 256).Select(i => (byte)i).Reverse().ToArray();
        var e4m3 = new float[codes.Length];
        var e5m2 = new float[codes.Length];
        FloatConversions.Float8E4M3ToSingle(codes, e4m3);
        FloatConversions.Float8E5M2ToSingle(codes, e5m2);
        ConversionSamples.AssertSameBits(codes.Select(FloatConversions.Float8E4M3BitsToSingle).ToArray(), e4m3, "E4M3");
        ConversionSamples.AssertSameBits(codes.Select(FloatConversions.Float8E5M2BitsToSingle).ToArray(), e5m2, "E5M2");
    }
}
