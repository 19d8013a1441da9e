using Thaw.Quantization.Bnb;

namespace Thaw.Tests.Quantization.Quantizer;

public class BnbDoubleQuantizerTests
{
    [Fact]
    public void CentersOnTheMeanAndScalesEachNestedBlockByItsOwnMaximum()
    {
        // 300 maxima: nested blocks of 256 and 44.
        var absmax = Enumerable.Range(0, 300).Select(i => 0.1f + (i % 17 * 0.01f) + (i >= 256 ? 0.5f : 0f)).ToArray();
        var codes = new byte[300];
        var nested = new float[2];
        var offset = BnbDoubleQuantizer.Quantize(absmax, codes, nested);
        Assert.Equal(TorchCpuSum.Mean(absmax), offset);
        for (var b = 0; b < 2; b++)
            Assert.Equal(absmax.Skip(b * 256).Take(256).Max(a => MathF.Abs(a - offset)), nested[b]);
        for (var i = 0; i < 300; i++)
        {
            var centered = absmax[i] - offset;
            Assert.Equal(DynamicMap.Quantize(centered * (1f / nested[i / 256])), codes[i]);
            // Decoded as bitsandbytes decodes it, each maximum is close to the original.
            var decoded = (DynamicMap.Table[codes[i]] * nested[i / 256]) + offset;
            Assert.True(MathF.Abs(decoded - absmax[i]) <= 0.02f * nested[i / 256], $"block {i}: {decoded} vs {absmax[i]}");
        }
    }

    [Fact]
    public void EqualMaximaGiveNestedMaximumZeroAndCodeZero()
    {
        // x - offset = 0 everywhere: 0 * (1 / 0) = NaN, code 0; decoding gives code[0] * 0 + offset = offset exactly.
        var codes = new byte[3];
        var nested = new float[1];
        var offset = BnbDoubleQuantizer.Quantize([0.5f, 0.5f, 0.5f], codes, nested);
        Assert.Equal(0.5f, offset);
        Assert.Equal([0f], nested);
        Assert.Equal(new byte[3], codes);
    }

    [Fact]
    public void RejectsOutputsOfTheWrongSize()
    {
        Assert.Throws<ArgumentException>(() => BnbDoubleQuantizer.Quantize(new float[300], new byte[299], new float[2]));
        Assert.Throws<ArgumentException>(() => BnbDoubleQuantizer.Quantize(new float[300], new byte[300], new float[1]));
        Assert.Equal(2, BnbDoubleQuantizer.NestedBlockCount(257));
        Assert.Equal(1, BnbDoubleQuantizer.NestedBlockCount(256));
    }
}
