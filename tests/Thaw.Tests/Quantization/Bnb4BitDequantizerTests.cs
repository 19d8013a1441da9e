using System.Runtime.InteropServices;
using Thaw.Quantization.Bnb;
using Thaw.Tensors;
using Thaw.Tests.Tensors;

namespace Thaw.Tests.Quantization;

/// <summary>
/// The 4-bit decoder at every SIMD width (scalar included) against <see cref="BnbReference"/>, for what the A2 fixtures
/// do not have: every blocksize, element counts that are odd or not a multiple of the blocksize, ranges that start on
/// an odd element or cut blocks anywhere.
/// </summary>
public class Bnb4BitDequantizerTests
{
    private static readonly DType[] Outputs = [DType.F32, DType.BF16, DType.F16];

    public static TheoryData<BnbQuantType, int> TypesAndBlocksizes()
    {
        var data = new TheoryData<BnbQuantType, int>();
        foreach (var type in new[] { BnbQuantType.Nf4, BnbQuantType.Fp4 })
        {
            foreach (var blocksize in BnbQuantState.ValidBlocksizes)
                data.Add(type, blocksize);
        }
        // Not bitsandbytes blocksizes, but the decoder takes any: odd ones start blocks mid-byte.
        data.Add(BnbQuantType.Nf4, 1);
        data.Add(BnbQuantType.Fp4, 3);
        data.Add(BnbQuantType.Nf4, 33);
        data.Add(BnbQuantType.Fp4, 100);
        return data;
    }

    [Fact]
    public void Nf4TableIsTheSpecTable()
    {
        Assert.Equal(Bits(BnbReference.Nf4), Bits(Bnb4BitCodes.Values(BnbQuantType.Nf4).ToArray()));
    }

    [Fact]
    public void Fp4TableIsTheCudaKernelsTable()
    {
        var values = Bnb4BitCodes.Values(BnbQuantType.Fp4).ToArray();
        Assert.Equal(Bits(Enumerable.Range(0, 16).Select(BnbReference.Fp4Cuda).ToArray()), Bits(values));
        // Spec §1.2: the magnitudes' float32 bit patterns.
        Assert.Equal(
            [0x00000000u, 0x3BAAAAABu, 0x3F2AAAABu, 0x3F800000u, 0x3EAAAAABu, 0x3F000000u, 0x3E2AAAABu, 0x3E800000u],
            Bits(values[..8]));
        Assert.Equal(Bits(values[..8]).Select(b => b | 0x8000_0000u), Bits(values[8..]));
    }

    [Fact]
    public void StoredFp4MapDiffersFromTheKernelOnlyInTheSignOfZero()
    {
        var kernel = Bits(Bnb4BitCodes.Values(BnbQuantType.Fp4).ToArray());
        var stored = Bits(BnbReference.StoredFp4);
        Assert.Equal([8], Enumerable.Range(0, 16).Where(i => kernel[i] != stored[i]));
        Assert.Equal(0x0000_0000u, stored[8]);
        Assert.Equal(0x8000_0000u, kernel[8]);
        Bnb4BitCodes.CheckStoredQuantMap(BnbReference.StoredFp4, BnbQuantType.Fp4, null, "w.weight.quant_map");
    }

    [Fact]
    public void Fp4Code8DecodesToNegativeZeroAsTheCudaKernelDoes()
    {
        // 0x88: both nibbles code 8; CUDA gives 0 * -1 = -0.0, times absmax, rounded: 0x8000 in bf16 and f16.
        var packed = Enumerable.Repeat((byte)0x88, 50).ToArray();
        float[] absmax = [2.5f, 0.75f];
        foreach (var width in ConversionSamples.AllWidths)
        {
            Assert.All(DecodeBits(BnbQuantType.Fp4, 64, packed, absmax, 0, 100, DType.F32, width), b => Assert.Equal(0x8000_0000u, b));
            Assert.All(DecodeBits(BnbQuantType.Fp4, 64, packed, absmax, 0, 100, DType.BF16, width), b => Assert.Equal(0x8000u, b));
            Assert.All(DecodeBits(BnbQuantType.Fp4, 64, packed, absmax, 0, 100, DType.F16, width), b => Assert.Equal(0x8000u, b));
        }
    }

    [Theory]
    [MemberData(nameof(TypesAndBlocksizes))]
    public void EveryWidthMatchesTheReference(BnbQuantType type, int blocksize)
    {
        // Three full blocks and a partial one of odd length, so the last byte is half used.
        var n = 3 * blocksize + 37;
        var (packed, absmax) = RandomWeight(n, blocksize, seed: blocksize + (int)type);
        var expected = BnbReference.Decode(type, blocksize, packed, absmax, 0, n);

        long[] starts = [0, 1, 2, 3, 5, blocksize - 1, blocksize, blocksize + 1, 2 * blocksize - 7, 3 * blocksize, n - 40, n - 3, n - 1, n];
        int[] counts = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 66, 127, 129, blocksize - 1, blocksize + 3, 2 * blocksize + 1, n];
        foreach (var width in ConversionSamples.AllWidths)
        {
            foreach (var output in Outputs)
            {
                foreach (var start in starts.Where(s => s >= 0 && s <= n).Distinct())
                {
                    foreach (var count in counts.Where(c => c <= n - start).Append((int)(n - start)))
                    {
                        var actual = DecodeBits(type, blocksize, packed, absmax, start, count, output, width);
                        var reference = expected.AsSpan((int)start, count).ToArray().Select(v => Encode(v, output)).ToArray();
                        AssertSameBits(reference, actual, $"{type} blocksize {blocksize} {width} {output} start {start} count {count}");
                    }
                }
            }
        }
    }

    [Fact]
    public void EveryStartAndCountOfAShortTensorMatchesTheReference()
    {
        // Blocksize 32 and 131 elements: every range, so every alignment of block edges, byte halves and vector steps.
        const int n = 131;
        const int blocksize = 32;
        var (packed, absmax) = RandomWeight(n, blocksize, seed: 7);
        var expected = BnbReference.Decode(BnbQuantType.Nf4, blocksize, packed, absmax, 0, n);
        foreach (var width in ConversionSamples.AllWidths)
        {
            foreach (var output in new[] { DType.F32, DType.BF16 })
            {
                for (var start = 0; start <= n; start++)
                {
                    for (var count = 0; count <= n - start; count++)
                    {
                        var actual = DecodeBits(BnbQuantType.Nf4, blocksize, packed, absmax, start, count, output, width);
                        var reference = expected.AsSpan(start, count).ToArray().Select(v => Encode(v, output)).ToArray();
                        AssertSameBits(reference, actual, $"{width} {output} start {start} count {count}");
                    }
                }
            }
        }
    }

    [Fact]
    public void LongerInputsThanNeededAreAllowedAndOnlyTheRangeIsWritten()
    {
        var (packed, absmax) = RandomWeight(1000, 64, seed: 3);
        var destination = new float[102];
        Bnb4BitDequantizer.Dequantize(BnbQuantType.Nf4, 64, 201, packed.AsSpan(100), absmax.AsSpan(3), destination.AsSpan(1, 100));
        var expected = BnbReference.Decode(BnbQuantType.Nf4, 64, packed, absmax, 201, 100);
        Assert.Equal(Bits(expected), Bits(destination[1..101]));
        Assert.Equal(0u, BitConverter.SingleToUInt32Bits(destination[0]));
        Assert.Equal(0u, BitConverter.SingleToUInt32Bits(destination[101]));
    }

    [Fact]
    public void TooFewPackedBytesAreRefused()
    {
        // Elements [3, 10) need bytes 1..4 (4 bytes from byte 1).
        var e = Assert.Throws<ArgumentException>(() =>
            Bnb4BitDequantizer.Dequantize(BnbQuantType.Nf4, 64, 3, new byte[3], new float[1], new float[7]));
        Assert.Equal("packed", e.ParamName);
    }

    [Fact]
    public void TooFewMaximaAreRefused()
    {
        // Elements [60, 70) span blocks 0 and 1 of 64.
        var e = Assert.Throws<ArgumentException>(() =>
            Bnb4BitDequantizer.Dequantize(BnbQuantType.Nf4, 64, 60, new byte[6], new float[1], new float[10]));
        Assert.Equal("absmax", e.ParamName);
    }

    [Fact]
    public void UnsupportedOutputDTypeIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Bnb4BitDequantizer.Dequantize(BnbQuantType.Nf4, 64, 0, new byte[2], new float[1], DType.I8, new byte[4]));
        Assert.Equal("dtype", e.ParamName);
    }

    [Fact]
    public void OutputOverlappingThePackedBytesIsRefused()
    {
        var buffer = new byte[64];
        Assert.Throws<ArgumentException>(() =>
            Bnb4BitDequantizer.Dequantize(BnbQuantType.Nf4, 64, 0, buffer.AsSpan(0, 8), new float[1], DType.F32, buffer.AsSpan(0, 64)));
    }

    /// <summary>Random codes and maxima spread over several binades (as real maxima are).</summary>
    internal static (byte[] Packed, float[] Absmax) RandomWeight(long n, int blocksize, int seed)
    {
        var random = new Random(seed);
        var packed = new byte[(n + 1) / 2];
        random.NextBytes(packed);
        var absmax = new float[(n + blocksize - 1) / blocksize];
        for (var i = 0; i < absmax.Length; i++)
            absmax[i] = (float)((0.5 + random.NextDouble()) * Math.Pow(2, random.Next(-12, 4)));
        return (packed, absmax);
    }

    private static uint[] DecodeBits(BnbQuantType type, int blocksize, byte[] packed, float[] absmax, long start, int count, DType output, SimdWidth width)
    {
        var size = DTypes.ByteSize(output);
        var destination = new byte[count * size];
        var end = start + count;
        var absmaxFrom = (int)(start / blocksize);
        Bnb4BitDequantizer.Dequantize(type, blocksize, start, packed.AsSpan((int)(start / 2), (int)((end + 1) / 2 - start / 2)),
            absmax.AsSpan(absmaxFrom, count == 0 ? 0 : (int)((end - 1) / blocksize) - absmaxFrom + 1), output, destination, width);
        return size == 4
            ? MemoryMarshal.Cast<byte, uint>(destination).ToArray()
            : [.. MemoryMarshal.Cast<byte, ushort>(destination).ToArray().Select(h => (uint)h)];
    }

    private static uint Encode(float value, DType output) => output switch
    {
        DType.F32 => BitConverter.SingleToUInt32Bits(value),
        DType.BF16 => BnbReference.BFloat16(value),
        _ => BnbReference.Half(value),
    };

    internal static uint[] Bits(float[] values) => [.. values.Select(BitConverter.SingleToUInt32Bits)];

    private static void AssertSameBits(uint[] expected, uint[] actual, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            if (expected[i] != actual[i])
                Assert.Fail($"{context}: element {i} is 0x{actual[i]:X8}, expected 0x{expected[i]:X8}");
        }
    }
}
