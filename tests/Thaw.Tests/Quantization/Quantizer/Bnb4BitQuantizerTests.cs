using CsCheck;
using Thaw.Quantization.Bnb;
using Thaw.Tensors;
using Thaw.Tests.Tensors;

namespace Thaw.Tests.Quantization.Quantizer;

public class Bnb4BitQuantizerTests
{
    [Fact]
    public void Nf4CodesMatchTheCudaTreeAtEveryThresholdAndItsNeighbours()
    {
        for (var k = 0; k < CudaReference.Nf4Thresholds.Length; k++)
        {
            var threshold = CudaReference.Nf4Thresholds[k];
            // Strict '>': a value on the threshold takes the lower code, the next float up the higher one.
            Assert.Equal(k, Bnb4BitQuantizer.Nf4Code(threshold));
            Assert.Equal(k + 1, Bnb4BitQuantizer.Nf4Code(MathF.BitIncrement(threshold)));
            Assert.Equal(k, Bnb4BitQuantizer.Nf4Code(MathF.BitDecrement(threshold)));
        }
        Assert.Equal(0, Bnb4BitQuantizer.Nf4Code(float.NaN));
        Assert.Equal(7, Bnb4BitQuantizer.Nf4Code(0f));
        Assert.Equal(7, Bnb4BitQuantizer.Nf4Code(-0f));
        Assert.Equal(0, Bnb4BitQuantizer.Nf4Code(-1f));
        Assert.Equal(15, Bnb4BitQuantizer.Nf4Code(1f));
    }

    [Fact]
    public void Fp4CodesMatchTheCudaTreeAtEveryLiteralAndItsNeighbours()
    {
        foreach (var literal in CudaReference.Fp4Literals)
        {
            foreach (var value in new[] { literal, MathF.BitIncrement(literal), MathF.BitDecrement(literal) })
            {
                Assert.Equal(CudaReference.Fp4(value), Bnb4BitQuantizer.Fp4Code(value));
                Assert.Equal(CudaReference.Fp4(-value), Bnb4BitQuantizer.Fp4Code(-value));
            }
        }
        // Magnitudes in table order 0, 1/192, 1/6, 1/4, 1/3, 1/2, 2/3, 1 have codes 0, 1, 6, 7, 4, 5, 2, 3.
        Assert.Equal([0, 1, 6, 7, 4, 5, 2, 3], new[] { 0f, 1 / 192f, 1 / 6f, 0.25f, 1 / 3f, 0.5f, 2 / 3f, 1f }.Select(Bnb4BitQuantizer.Fp4Code));
        Assert.Equal([8, 9, 14, 15, 12, 13, 10, 11], new[] { -1e-9f, -1 / 192f, -1 / 6f, -0.25f, -1 / 3f, -0.5f, -2 / 3f, -1f }.Select(Bnb4BitQuantizer.Fp4Code));
        Assert.Equal(0, Bnb4BitQuantizer.Fp4Code(float.NaN));
        Assert.Equal(0, Bnb4BitQuantizer.Fp4Code(-0f));
    }

    [Fact]
    public void ScalarCodesMatchTheCudaTreesOnRandomValues()
    {
        Gen.Float[-1.1f, 1.1f].Sample(value =>
        {
            Assert.Equal(CudaReference.Nf4(value), Bnb4BitQuantizer.Nf4Code(value));
            Assert.Equal(CudaReference.Fp4(value), Bnb4BitQuantizer.Fp4Code(value));
        }, iter: 20000);
    }

    [Fact]
    public void PacksTheEvenElementIntoTheHighNibble()
    {
        // One block of 32: absmax 1, so s = x; codes 15, 0, 7, 8, then 0.0 (code 7) repeated.
        var values = new float[32];
        values[0] = 1f;
        values[1] = -1f;
        values[3] = 0.08f;
        var (packed, absmax) = Quantize(values, BnbQuantType.Nf4, 32);
        Assert.Equal(1f, absmax[0]);
        Assert.Equal(0xF0, packed[0]);
        Assert.Equal(0x78, packed[1]);
        Assert.All(packed[2..], b => Assert.Equal(0x77, b));
    }

    [Fact]
    public void AnOddCountPadsTheLastLowNibbleWithTheCodeOfZero()
    {
        float[] values = [0.5f, -0.25f, 1f];
        var (nf4, absmax) = Quantize(values, BnbQuantType.Nf4, 64);
        Assert.Equal(2, nf4.Length);
        Assert.Equal(1f, absmax[0]);
        Assert.Equal((byte)((15 << 4) | 7), nf4[1]); // 1.0 → 15, padded 0.0 → 7
        var (fp4, _) = Quantize(values, BnbQuantType.Fp4, 64);
        Assert.Equal((byte)((3 << 4) | 0), fp4[1]); // 1.0 → 0b011, padded 0.0 → 0
        Assert.Equal((byte)((5 << 4) | 0b1111), fp4[0]); // 0.5 → 0b101, -0.25 → sign + 0b111
    }

    [Fact]
    public void AnAllZeroBlockHasAbsmaxZeroAndCodeZeroAsOnTheGpu()
    {
        // s = 0 * (1/0) = NaN: every comparison is false (NF4 code 0 = -1.0, FP4 code 0 = +0).
        var values = new float[64 + 33];
        values[70] = 0.5f;
        foreach (var type in new[] { BnbQuantType.Nf4, BnbQuantType.Fp4 })
        {
            var zeros = new float[65];
            var (packed, absmax) = Quantize(zeros, type, 32);
            Assert.Equal([0f, 0f, 0f], absmax);
            Assert.All(packed, b => Assert.Equal(0, b));
        }
        var (mixed, mixedAbsmax) = Quantize(values, BnbQuantType.Nf4, 64);
        Assert.Equal([0f, 0.5f], mixedAbsmax);
        Assert.All(mixed[..32], b => Assert.Equal(0x00, b));
        Assert.Equal(0xF7, mixed[35]); // element 70: s = 1 → 15 (high nibble); element 71: 0 → 7
        Assert.All(mixed[32..35].Concat(mixed[36..]), b => Assert.Equal(0x77, b));
    }

    [Fact]
    public void BlockMaximaAreExactAndPartialLastBlocksUseTheirOwnMaximum()
    {
        var values = Enumerable.Range(0, 100).Select(i => (i % 7 - 3) * 0.01f * (i + 1)).ToArray();
        var (_, absmax) = Quantize(values, BnbQuantType.Nf4, 32);
        Assert.Equal(4, absmax.Length);
        for (var b = 0; b < 4; b++)
            Assert.Equal(values.Skip(b * 32).Take(32).Max(MathF.Abs), absmax[b]);
    }

    [Fact]
    public void EveryWidthMatchesTheScalarPathForEveryBlocksizeAndTail()
    {
        var random = new Random(4242);
        foreach (var blocksize in BnbQuantState.ValidBlocksizes)
        {
            foreach (var length in new[] { 1, 2, 3, 15, 17, blocksize - 1, blocksize, blocksize + 1, blocksize + 5, (3 * blocksize) + 7, (2 * blocksize) + 16 })
            {
                var values = Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() - 0.5) * random.Next(1, 100))).ToArray();
                foreach (var type in new[] { BnbQuantType.Nf4, BnbQuantType.Fp4 })
                {
                    var (expectedPacked, expectedAbsmax) = Quantize(values, type, blocksize, SimdWidth.Scalar);
                    foreach (var width in ConversionSamples.AllWidths)
                    {
                        var (packed, absmax) = Quantize(values, type, blocksize, width);
                        Assert.True(expectedPacked.AsSpan().SequenceEqual(packed), $"{type} {width} blocksize {blocksize} length {length}: codes differ");
                        Assert.Equal(expectedAbsmax, absmax);
                    }
                }
            }
        }
    }

    [Fact]
    public void QuantizingInChunksOfWholeBlocksEqualsQuantizingAtOnce()
    {
        var random = new Random(7);
        var values = Enumerable.Range(0, (64 * 10) + 21).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var (whole, wholeAbsmax) = Quantize(values, BnbQuantType.Nf4, 64);
        var packed = new byte[whole.Length];
        var absmax = new float[wholeAbsmax.Length];
        foreach (var (start, blocks) in new[] { (0, 3), (3, 1), (4, 7) })
        {
            var count = Math.Min(blocks * 64, values.Length - (start * 64));
            Bnb4BitQuantizer.Quantize(values.AsSpan(start * 64, count), BnbQuantType.Nf4, 64,
                packed.AsSpan(start * 32, (count + 1) / 2), absmax.AsSpan(start, (count + 63) / 64));
        }
        Assert.Equal(whole, packed);
        Assert.Equal(wholeAbsmax, absmax);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(48)]
    [InlineData(8192)]
    [InlineData(0)]
    [InlineData(-64)]
    public void RejectsABlocksizeBitsandbytesDoesNotSupport(int blocksize)
    {
        var e = Assert.Throws<BnbQuantizeException>(() => Bnb4BitQuantizer.Quantize(new float[64], BnbQuantType.Nf4, blocksize, new byte[32], new float[1]));
        Assert.Equal(BnbQuantizeError.BadBlocksize, e.Reason);
        Assert.Contains("32, 64, 128", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void RejectsNonFiniteValuesNamingTheElement(float bad)
    {
        foreach (var width in ConversionSamples.AllWidths)
        {
            var values = new float[100];
            values[77] = bad;
            var e = Assert.Throws<BnbQuantizeException>(() =>
                Bnb4BitQuantizer.Quantize(values, BnbQuantType.Nf4, 64, new byte[50], new float[2], "w.weight", width));
            Assert.Equal(BnbQuantizeError.NonFiniteValue, e.Reason);
            Assert.Equal("w.weight", e.TensorName);
            Assert.Contains("element 77", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void RejectsOutputSpansOfTheWrongSize()
    {
        Assert.Throws<ArgumentException>(() => Bnb4BitQuantizer.Quantize(new float[65], BnbQuantType.Nf4, 64, new byte[32], new float[2]));
        Assert.Throws<ArgumentException>(() => Bnb4BitQuantizer.Quantize(new float[65], BnbQuantType.Nf4, 64, new byte[33], new float[1]));
    }

    private static (byte[] Packed, float[] Absmax) Quantize(float[] values, BnbQuantType type, int blocksize, SimdWidth width = SimdWidth.Vector512)
    {
        var packed = new byte[Bnb4BitQuantizer.PackedLength(values.Length)];
        var absmax = new float[Bnb4BitQuantizer.BlockCount(values.Length, blocksize)];
        Bnb4BitQuantizer.Quantize(values, type, blocksize, packed, absmax, null, width);
        return (packed, absmax);
    }
}
