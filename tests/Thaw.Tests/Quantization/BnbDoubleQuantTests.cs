using Thaw.Quantization.Bnb;

namespace Thaw.Tests.Quantization;

/// <summary>Double-quantized maxima (spec §3.3) against <see cref="BnbReference.Absmax"/> and hand-computed values.</summary>
public class BnbDoubleQuantTests
{
    [Theory]
    [InlineData(256)]
    [InlineData(128)]
    public void SeveralNestedBlocksWithAPartialLastOneMatchTheReference(int nestedBlocksize)
    {
        // Three full nested blocks and 17 blocks more.
        var blocks = 3 * nestedBlocksize + 17;
        var random = new Random(nestedBlocksize);
        var codes = new byte[blocks];
        random.NextBytes(codes);
        var map = Enumerable.Range(0, 256).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var nested = Enumerable.Range(0, 4).Select(_ => (float)random.NextDouble()).ToArray();
        const float offset = 0.03632286190986633f;
        var expected = BnbReference.Absmax(codes, map, nested, nestedBlocksize, offset);

        foreach (var first in new[] { 0, 1, nestedBlocksize - 1, nestedBlocksize, 2 * nestedBlocksize + 5, blocks - 1 })
        {
            foreach (var count in new[] { 0, 1, 2, nestedBlocksize, nestedBlocksize + 1, blocks - first })
            {
                if (first + count > blocks)
                    continue;
                var actual = new float[count];
                BnbDoubleQuant.DequantizeAbsmax(codes.AsSpan(first, count), first, map, nested, nestedBlocksize, offset, actual);
                Assert.Equal(Bnb4BitDequantizerTests.Bits(expected[first..(first + count)]), Bnb4BitDequantizerTests.Bits(actual));
            }
        }
    }

    [Fact]
    public void MultiplyAndAddRoundSeparatelyNotFused()
    {
        // (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24 rounds (tie to even) to 1 + 2^-11 in float32; minus 1 gives 2^-11.
        // A fused multiply-add would keep the 2^-24 and give 2^-11 + 2^-24.
        var a = 1 + MathF.ScaleB(1, -12);
        var map = new float[256];
        map[200] = a;
        var actual = new float[1];
        BnbDoubleQuant.DequantizeAbsmax([200], 0, map, [a], 256, -1f, actual);
        Assert.Equal(MathF.ScaleB(1, -11), actual[0]);
        Assert.NotEqual(MathF.FusedMultiplyAdd(a, a, -1f), actual[0]);
    }

    [Fact]
    public void HandComputedValue()
    {
        // map[3] = 0.5, nested = 0.25: 0.125 exactly; plus 0.1f (0x3DCCCCCD) is 0.225000001490116..., exactly halfway
        // between 0x3E666666 and 0x3E666667: the tie goes to the even pattern.
        var map = new float[256];
        map[3] = 0.5f;
        var actual = new float[1];
        BnbDoubleQuant.DequantizeAbsmax([3], 0, map, [0.25f], 256, 0.1f, actual);
        Assert.Equal(0x3E666666u, BitConverter.SingleToUInt32Bits(actual[0]));
    }

    [Fact]
    public void TooFewNestedMaximaAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            BnbDoubleQuant.DequantizeAbsmax(new byte[10], 250, new float[256], new float[1], 256, 0f, new float[10]));
        Assert.Equal("nestedAbsmax", e.ParamName);
    }

    [Fact]
    public void NestedMapOfTheWrongSizeIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            BnbDoubleQuant.DequantizeAbsmax(new byte[1], 0, new float[255], new float[1], 256, 0f, new float[1]));
        Assert.Equal("nestedQuantMap", e.ParamName);
    }
}
