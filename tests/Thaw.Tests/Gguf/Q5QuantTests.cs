using System.Buffers.Binary;
using Thaw.Formats.Gguf;
using Thaw.Formats.Gguf.Quants;

namespace Thaw.Tests.Gguf;

/// <summary>
/// Q5_0, Q5_1 and Q5_K blocks worked out by hand from ggml's <c>quantize_row_q5_0_ref</c>, <c>q5_1_ref</c> and
/// <c>q5_K_ref</c>. Q5_0/Q5_1 blocks: d at bytes 0-1 (Q5_1: m at 2-3), then the little-endian uint32 of fifth bits,
/// then 16 bytes of nibbles (byte j: element j low, element j + 16 high).
/// </summary>
public sealed class Q5QuantTests
{
    private static (int D, uint Qh, byte[] Qs) Q5_0(float[] x)
    {
        var y = new byte[22];
        GgmlRowCodecs.For(GgmlType.Q5_0).Quantize(x, y);
        return (BinaryPrimitives.ReadUInt16LittleEndian(y), BinaryPrimitives.ReadUInt32LittleEndian(y.AsSpan(2)), y[6..]);
    }

    [Theory]
    [InlineData(4f, -4f, 0xB400)] // first largest magnitude is +4: d = 4 / -16 = -0.25
    [InlineData(-4f, 4f, 0x3400)] // first is -4: d = 0.25
    public void Q5_0UsesTheFirstLargestMagnitudeWithItsSignAndClampsTheOtherSignTo31(float first, float second, int dBits)
    {
        // Element 3 = first → trunc(-16 + 16.5) = 0; element 7 = second → trunc(16 + 16.5) = 32, MIN(31, ·) = 31;
        // zeros → trunc(16.5) = 16: nibble 0 with the fifth bit set.
        var x = new float[32];
        x[3] = first;
        x[7] = second;
        var (d, qh, qs) = Q5_0(x);
        Assert.Equal(dBits, d);
        Assert.Equal(0xFFFFFFF7u, qh); // every element ≥ 16 but element 3
        for (var j = 0; j < 16; j++)
            Assert.Equal(j == 7 ? 0x0F : 0x00, qs[j]);
        var back = new float[32];
        var y = new byte[22];
        GgmlRowCodecs.For(GgmlType.Q5_0).Quantize(x, y);
        GgmlRowCodecs.For(GgmlType.Q5_0).Dequantize(y, back);
        Assert.Equal(first, back[3]);
        Assert.Equal(-first * 15 / 16, back[7]); // the clamped one comes back one step short
    }

    [Fact]
    public void Q5_0OfARampIsExact()
    {
        // x = j - 16: max = -16 → d = 1 (0x3C00), q = trunc(x + 16.5) = j. Byte j = j | (j + 16 & 15) << 4 = 0x11·j;
        // the fifth bit is set for elements 16..31.
        var x = Enumerable.Range(0, 32).Select(j => (float)(j - 16)).ToArray();
        var (d, qh, qs) = Q5_0(x);
        Assert.Equal(0x3C00, d);
        Assert.Equal(0xFFFF0000u, qh);
        Assert.Equal(Enumerable.Range(0, 16).Select(j => (byte)(0x11 * j)), qs);
        var y = new byte[22];
        GgmlRowCodecs.For(GgmlType.Q5_0).Quantize(x, y);
        var back = new float[32];
        GgmlRowCodecs.For(GgmlType.Q5_0).Dequantize(y, back);
        Assert.Equal(x, back);
    }

    [Theory]
    [InlineData(0.5f, 17)]   // 17.0 exactly: halves round up
    [InlineData(-0.5f, 16)]  // 16.0: up as well, not away from zero
    [InlineData(-15.5f, 1)]
    [InlineData(0.49999997f, 17)] // 16.99999997 rounds to the float 17 before the truncation
    [InlineData(0.4999f, 16)]
    [InlineData(-0.4999f, 16)]
    public void Q5_0AddsSixteenAndAHalfThenTruncates(float value, int expected)
    {
        // Element 0 = -16 → d = 1, id = 1; element 1 = value.
        var x = new float[32];
        x[0] = -16f;
        x[1] = value;
        var (d, qh, qs) = Q5_0(x);
        Assert.Equal(0x3C00, d);
        var q1 = (qs[1] & 0xF) | (int)((qh >> 1) & 1) << 4;
        Assert.Equal(expected, q1);
    }

    [Fact]
    public void Q5_0OfZerosIsLevelSixteen()
    {
        // d = 0 / -16 = -0 (fp16 0x8000) → id = 0 → every q = trunc(16.5) = 16: all fifth bits set, nibbles 0.
        // Decodes to zeros.
        var y = new byte[44];
        y.AsSpan().Fill(0x55);
        GgmlRowCodecs.For(GgmlType.Q5_0).Quantize(new float[64], y);
        byte[] block = [0, 0x80, 0xFF, 0xFF, 0xFF, 0xFF, .. new byte[16]];
        Assert.Equal([.. block, .. block], y);
        var back = new float[64];
        back.AsSpan().Fill(1f);
        GgmlRowCodecs.For(GgmlType.Q5_0).Dequantize(y, back);
        Assert.All(back, v => Assert.Equal(0f, Math.Abs(v)));
    }

    [Fact]
    public void Q5_1OfAnOffsetRampIsExact()
    {
        // x = 10 + j/2: min 10 (m = 0x4900), d = 15.5 / 31 = 0.5 (0x3800), id = 2, q = trunc(2(x - 10) + 0.5) = j.
        var x = Enumerable.Range(0, 32).Select(j => 10f + j / 2f).ToArray();
        var y = new byte[24];
        GgmlRowCodecs.For(GgmlType.Q5_1).Quantize(x, y);
        Assert.Equal(0x3800, BinaryPrimitives.ReadUInt16LittleEndian(y));
        Assert.Equal(0x4900, BinaryPrimitives.ReadUInt16LittleEndian(y.AsSpan(2)));
        Assert.Equal(0xFFFF0000u, BinaryPrimitives.ReadUInt32LittleEndian(y.AsSpan(4)));
        Assert.Equal(Enumerable.Range(0, 16).Select(j => (byte)(0x11 * j)), y[8..]);
        var back = new float[32];
        GgmlRowCodecs.For(GgmlType.Q5_1).Dequantize(y, back);
        Assert.Equal(x, back);
    }

    [Fact]
    public void Q5_1RoundsHalfUpFromTheMinimum()
    {
        // min 0, max 31 → d = 1; 2.5 → trunc(3.0) = 3, 2.4999 → 2. Constant blocks: d = 0 → q = 0, m = the value.
        var x = new float[64];
        x[1] = 31f;
        x[2] = 2.5f;
        x[3] = 2.4999f;
        x.AsSpan(32).Fill(-2f);
        var y = new byte[48];
        GgmlRowCodecs.For(GgmlType.Q5_1).Quantize(x, y);
        Assert.Equal(0x3C00, BinaryPrimitives.ReadUInt16LittleEndian(y));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(y.AsSpan(2)));
        Assert.Equal(0x2u, BinaryPrimitives.ReadUInt32LittleEndian(y.AsSpan(4))); // only element 1 (31) has bit 4
        Assert.Equal(new byte[] { 0x00, 0x0F, 0x03, 0x02 }, y[8..12]);
        Assert.Equal(new byte[] { 0, 0, 0x00, 0xC0, 0, 0, 0, 0 }, y[24..32]); // d = 0, m = fp16(-2) = 0xC000
        Assert.All(y[32..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Q5_KOfExactLevels()
    {
        // Each sub-block of 32 is 0..31: min 0, max 31, scale 1 fits with zero error, so no search step wins. All
        // scales are 1 → 6-bit scale 63, d = fp16(1/63) = 0x2410; mins are 0 → dmin 0. Re-quantizing with
        // d·63 = 0.99976 gives the same levels. Element 64c + l and 64c + 32 + l both have level l: nibbles 0x11·(l & 15),
        // and qh[l] has all eight bits set for l ≥ 16.
        var x = Enumerable.Range(0, 256).Select(i => (float)(i % 32)).ToArray();
        var y = new byte[176];
        GgmlRowCodecs.For(GgmlType.Q5_K).Quantize(x, y);
        Assert.Equal(0x2410, BinaryPrimitives.ReadUInt16LittleEndian(y));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(y.AsSpan(2)));
        Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0x0F, 0x0F, 0x0F, 0x0F }, y[4..16]);
        for (var l = 0; l < 32; l++)
            Assert.Equal(l < 16 ? 0 : 0xFF, y[16 + l]);
        for (var c = 0; c < 4; c++)
        {
            for (var l = 0; l < 32; l++)
                Assert.Equal((byte)((l & 15) * 0x11), y[48 + 32 * c + l]);
        }
        var back = new float[256];
        GgmlRowCodecs.For(GgmlType.Q5_K).Dequantize(y, back);
        var step = 0.015869140625f * 63;
        for (var i = 0; i < 256; i++)
            Assert.Equal(step * (i % 32), back[i]);
    }

    [Fact]
    public void Q5_KOfZerosIsZeros()
    {
        var y = new byte[352];
        y.AsSpan().Fill(0x55);
        GgmlRowCodecs.For(GgmlType.Q5_K).Quantize(new float[512], y);
        Assert.All(y, b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData(GgmlType.Q5_K, 512, 352)]
    [InlineData(GgmlType.Q5_0, 64, 44)]
    [InlineData(GgmlType.Q5_1, 64, 48)]
    public void Q5RowSizesFollowTheBlockTable(GgmlType type, int elements, int bytes)
    {
        var codec = GgmlRowCodecs.For(type);
        Assert.Equal(bytes, codec.RowByteLength(elements));
        Assert.Throws<ArgumentException>(() => codec.RowByteLength(elements - codec.BlockSize / 2));
        Assert.Throws<ArgumentException>(() => codec.Quantize(new float[elements], new byte[bytes + 1]));
    }
}
