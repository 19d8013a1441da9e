using System.Buffers.Binary;
using Thaw.Formats.Gguf;
using Thaw.Formats.Gguf.Quants;

namespace Thaw.Tests.Gguf;

/// <summary>
/// Closed-form cases worked out by hand from the reference quantizers' formulas (GGUF spec section 5), the
/// rounding rules, error bounds of encode → decode, and the row size rules.
/// </summary>
public sealed class GgmlQuantTests
{
    [Theory]
    [InlineData(0.5f, 0)]
    [InlineData(1.5f, 2)]
    [InlineData(2.5f, 2)]
    [InlineData(3.5f, 4)]
    [InlineData(-0.5f, 0)]
    [InlineData(-1.5f, -2)]
    [InlineData(-2.5f, -2)]
    [InlineData(2.4999998f, 2)]
    [InlineData(4194303f, 4194303)]
    [InlineData(-4194303f, -4194303)]
    public void NearestIntRoundsHalfToEven(float value, int expected) => Assert.Equal(expected, KQuantMath.NearestInt(value));

    [Fact]
    public void NearestIntEqualsRoundToEvenInItsRange()
    {
        var random = new Random(5);
        for (var i = 0; i < 100_000; i++)
        {
            var v = (float)((random.NextDouble() - 0.5) * (i % 2 == 0 ? 100 : 8_000_000));
            Assert.Equal((int)MathF.Round(v, MidpointRounding.ToEven), KQuantMath.NearestInt(v));
        }
    }

    [Fact]
    public void Q8_0RoundsHalfAwayFromZero()
    {
        // amax = 127 → d = 1 (fp16 0x3C00), id = 1: each value rounds on its own.
        var x = new float[32];
        x[0] = 127f;
        x[1] = 2.5f;
        x[2] = -2.5f;
        x[3] = 0.5f;
        x[4] = -0.5f;
        x[5] = 1.5f;
        x[6] = -126.5f;
        x[7] = 0.49999997f;
        var y = new byte[34];
        GgmlRowCodecs.For(GgmlType.Q8_0).Quantize(x, y);
        Assert.Equal(0x3C00, BinaryPrimitives.ReadUInt16LittleEndian(y));
        Assert.Equal(new sbyte[] { 127, 3, -3, 1, -1, 2, -127, 0 }, y[2..10].Select(b => (sbyte)b));
        Assert.All(y[10..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Q8_0OfZerosIsZeros()
    {
        var y = new byte[68];
        y.AsSpan().Fill(0xAA);
        GgmlRowCodecs.For(GgmlType.Q8_0).Quantize(new float[64], y);
        Assert.All(y, b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData(4f, -4f, 0xB800, 0x80, 0x8F)] // first largest magnitude is +4: d = 4 / -8 = -0.5
    [InlineData(-4f, 4f, 0x3800, 0x80, 0x8F)] // first is -4: d = 0.5
    public void Q4_0UsesTheFirstLargestMagnitudeWithItsSign(float first, float second, int dBits, byte qsFirst, byte qsSecond)
    {
        // Element 3 = first, element 7 = second, others 0. q(0) = trunc(8.5) = 8 everywhere else; the first value
        // maps to trunc(-8 + 8.5) = 0, the second to min(15, trunc(8 + 8.5)) = 15. Byte j = q[j] | q[j + 16] << 4.
        var x = new float[32];
        x[3] = first;
        x[7] = second;
        var y = new byte[18];
        GgmlRowCodecs.For(GgmlType.Q4_0).Quantize(x, y);
        Assert.Equal(dBits, BinaryPrimitives.ReadUInt16LittleEndian(y));
        for (var j = 0; j < 16; j++)
            Assert.Equal(j == 3 ? qsFirst : j == 7 ? qsSecond : (byte)0x88, y[2 + j]);
    }

    [Fact]
    public void Q4_0TruncatesAfterAddingEightAndAHalf()
    {
        // max = -16 (element 0) → d = 2, id = 0.5: x = -16 + j → q = min(15, trunc((j - 16) / 2 + 8.5)).
        var x = Enumerable.Range(0, 32).Select(j => (float)(j - 16)).ToArray();
        var y = new byte[18];
        GgmlRowCodecs.For(GgmlType.Q4_0).Quantize(x, y);
        Assert.Equal(0x4000, BinaryPrimitives.ReadUInt16LittleEndian(y));
        int[] low = [0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8];   // x = -16..-1
        int[] high = [8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 15]; // x = 0..15 (16 clamps to 15)
        for (var j = 0; j < 16; j++)
            Assert.Equal(low[j] | (high[j] << 4), y[2 + j]);
        var back = new float[32];
        GgmlRowCodecs.For(GgmlType.Q4_0).Dequantize(y, back);
        Assert.Equal(-16f, back[0]);
        Assert.Equal(14f, back[31]);
    }

    [Fact]
    public void Q4_KOfExactLevels()
    {
        // Each sub-block of 32 is 0..15 twice: min 0, max 15, scale 1 fits with zero error, so no search step
        // wins. All scales are 1 → 6-bit scale 63, d = fp16(1/63) = 0x2410; mins are 0 → dmin 0. Re-quantizing
        // with d·63 = 0.99976 gives the same levels.
        var x = Enumerable.Range(0, 256).Select(i => (float)(i % 16)).ToArray();
        var y = new byte[144];
        GgmlRowCodecs.For(GgmlType.Q4_K).Quantize(x, y);
        Assert.Equal(0x2410, BinaryPrimitives.ReadUInt16LittleEndian(y));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(y.AsSpan(2)));
        // j < 4: scales[j] = 63, scales[j + 4] = min 0; j ≥ 4: low nibbles in scales[j + 4], high bits in the top
        // two bits of scales[j - 4] (scale) and scales[j] (min).
        Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0x0F, 0x0F, 0x0F, 0x0F }, y[4..16]);
        for (var c = 0; c < 4; c++)
        {
            for (var l = 0; l < 32; l++)
                Assert.Equal((byte)((l % 16) * 0x11), y[16 + 32 * c + l]);
        }
        var back = new float[256];
        GgmlRowCodecs.For(GgmlType.Q4_K).Dequantize(y, back);
        var step = 0.015869140625f * 63;
        for (var i = 0; i < 256; i++)
            Assert.Equal(step * (i % 16), back[i]);
    }

    [Fact]
    public void Q6_KOfExactLevels()
    {
        // Each sub-block of 16 is -32, -28, ..., 28: the first fit (iscale = -32 / -32 = 1) is exact, scale 1.
        // max_scale = 1 → iscale = -128, d = fp16(-1/128) = 0xA000 (stored last), every int8 scale = -128,
        // d·scale = 1, so the levels are x + 32 = 0, 4, ..., 60.
        var x = Enumerable.Range(0, 256).Select(i => (float)(-32 + 4 * (i % 16))).ToArray();
        var y = new byte[210];
        GgmlRowCodecs.For(GgmlType.Q6_K).Quantize(x, y);
        Assert.Equal(0xA000, BinaryPrimitives.ReadUInt16LittleEndian(y.AsSpan(208)));
        Assert.All(y[192..208], b => Assert.Equal(0x80, b));
        int Level(int i) => 4 * (i % 16);
        for (var half = 0; half < 2; half++)
        {
            for (var l = 0; l < 32; l++)
            {
                var i = 128 * half + l;
                Assert.Equal((byte)((Level(i) & 0xF) | ((Level(i + 64) & 0xF) << 4)), y[64 * half + l]);
                Assert.Equal((byte)((Level(i + 32) & 0xF) | ((Level(i + 96) & 0xF) << 4)), y[64 * half + l + 32]);
                Assert.Equal((byte)((Level(i) >> 4) | ((Level(i + 32) >> 4) << 2) | ((Level(i + 64) >> 4) << 4) | ((Level(i + 96) >> 4) << 6)),
                    y[128 + 32 * half + l]);
            }
        }
        var back = new float[256];
        GgmlRowCodecs.For(GgmlType.Q6_K).Dequantize(y, back);
        Assert.Equal(x, back);
    }

    [Theory]
    [InlineData(GgmlType.Q4_K, 144)]
    [InlineData(GgmlType.Q6_K, 210)]
    public void KQuantsOfZerosAreZeros(GgmlType type, int bytes)
    {
        var y = new byte[bytes * 2];
        y.AsSpan().Fill(0x55);
        GgmlRowCodecs.For(type).Quantize(new float[512], y);
        Assert.All(y, b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData(GgmlType.Q8_0, 0.008f, 1.01f * (0.5f / 127 + 1f / 2048))]
    [InlineData(GgmlType.Q4_0, 0.11f, 1.01f / 8)]
    [InlineData(GgmlType.Q5_0, 0.06f, 1.01f / 16)]
    [InlineData(GgmlType.Q5_1, 0.06f, 1.05f / 31)]
    [InlineData(GgmlType.Q4_K, 0.12f, 0.2f)]
    [InlineData(GgmlType.Q5_K, 0.06f, 0.1f)]
    [InlineData(GgmlType.Q6_K, 0.03f, 0.05f)]
    [InlineData(GgmlType.F16, 0.0005f, 0.001f)]
    [InlineData(GgmlType.BF16, 0.004f, 0.004f)]
    public void EncodeDecodeErrorIsBounded(GgmlType type, float maxRelativeRms, float maxErrorOverBlockAmax)
    {
        var codec = GgmlRowCodecs.For(type);
        var random = new Random(42);
        var x = new float[4096];
        for (var i = 0; i < x.Length; i++)
            x[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()) * 0.02);
        x[100] = 0.3f; // an outlier
        var y = new byte[codec.RowByteLength(x.Length)];
        codec.Quantize(x, y);
        var back = new float[x.Length];
        codec.Dequantize(y, back);
        double errorSquares = 0, squares = 0;
        var block = Math.Max(codec.BlockSize, 32);
        for (var i = 0; i < x.Length; i++)
        {
            errorSquares += (x[i] - back[i]) * (double)(x[i] - back[i]);
            squares += x[i] * (double)x[i];
            var amax = x.AsSpan(i / block * block, block).ToArray().Max(MathF.Abs);
            Assert.True(MathF.Abs(x[i] - back[i]) <= amax * maxErrorOverBlockAmax, $"{type} element {i}: {x[i]} → {back[i]}");
        }
        Assert.True(Math.Sqrt(errorSquares / squares) < maxRelativeRms, $"{type}: relative RMS error {Math.Sqrt(errorSquares / squares)}");
    }

    [Theory]
    [InlineData(GgmlType.F32, 7, 28)]
    [InlineData(GgmlType.F16, 7, 14)]
    [InlineData(GgmlType.BF16, 7, 14)]
    [InlineData(GgmlType.Q8_0, 64, 68)]
    [InlineData(GgmlType.Q4_0, 64, 36)]
    [InlineData(GgmlType.Q4_K, 512, 288)]
    [InlineData(GgmlType.Q6_K, 256, 210)]
    public void RowSizesFollowTheBlockTable(GgmlType type, int elements, int bytes)
    {
        var codec = GgmlRowCodecs.For(type);
        Assert.Equal(bytes, codec.RowByteLength(elements));
        Assert.Equal(bytes, GgmlTypes.RowByteLength(type, elements));
        Assert.Throws<ArgumentException>(() => codec.Quantize(new float[elements], new byte[bytes + 1]));
        Assert.Throws<ArgumentException>(() => codec.Dequantize(new byte[bytes - 1], new float[elements]));
    }

    [Theory]
    [InlineData(GgmlType.Q8_0, 33)]
    [InlineData(GgmlType.Q4_0, 16)]
    [InlineData(GgmlType.Q4_K, 32)]
    [InlineData(GgmlType.Q6_K, 320)]
    public void RowsMustBeWholeBlocks(GgmlType type, int elements)
    {
        var codec = GgmlRowCodecs.For(type);
        Assert.Throws<ArgumentException>(() => codec.RowByteLength(elements));
        Assert.Throws<ArgumentException>(() => codec.Quantize(new float[elements], new byte[1000]));
    }

    [Fact]
    public void UnsupportedTypesHaveNoCodec()
    {
        Assert.False(GgmlRowCodecs.TryGet(GgmlType.Q3_K, out _));
        Assert.Throws<NotSupportedException>(() => GgmlRowCodecs.For(GgmlType.IQ2_XXS));
    }

    [Theory]
    [InlineData(0x3F808000u, 0x3F80)] // tie, even stays
    [InlineData(0x3F818000u, 0x3F82)] // tie, odd rounds up
    [InlineData(0x3F808001u, 0x3F81)]
    [InlineData(0x7F7FFFFFu, 0x7F80)] // overflow to Inf
    [InlineData(0x7F800000u, 0x7F80)]
    [InlineData(0x7FA00001u, 0x7FE0)] // NaN keeps its upper payload, quiet bit set: (u >> 16) | 64
    [InlineData(0xFF800001u, 0xFFC0)]
    [InlineData(0x00000001u, 0x0000)]
    public void BF16FollowsGgmlIncludingNaN(uint bits, int expected)
    {
        var y = new byte[2];
        GgmlRowCodecs.For(GgmlType.BF16).Quantize([BitConverter.UInt32BitsToSingle(bits)], y);
        Assert.Equal(expected, BinaryPrimitives.ReadUInt16LittleEndian(y));
    }

    [Fact]
    public void F16IsRoundToNearestEvenLikeTheHalfCast()
    {
        var random = new Random(7);
        var x = Enumerable.Range(0, 1000).Select(_ => BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32))).Where(v => !float.IsNaN(v)).ToArray();
        var y = new byte[x.Length * 2];
        GgmlRowCodecs.For(GgmlType.F16).Quantize(x, y);
        for (var i = 0; i < x.Length; i++)
            Assert.Equal(BitConverter.HalfToUInt16Bits((Half)x[i]), BinaryPrimitives.ReadUInt16LittleEndian(y.AsSpan(2 * i)));
        GgmlRowCodecs.For(GgmlType.F16).Quantize([float.NaN], y.AsSpan(0, 2));
        Assert.Equal(0x7E00, BinaryPrimitives.ReadUInt16LittleEndian(y) & 0x7FFF);
    }
}
