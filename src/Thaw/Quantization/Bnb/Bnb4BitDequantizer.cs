using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Thaw.Tensors;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// bitsandbytes 4-bit (NF4/FP4) dequantization, bit-exact with its CUDA kernel (spec §4.1): element e of the
/// flattened weight is <c>dtype(code[q(e)] * absmax[e / blocksize])</c>, one float32 multiply rounded once to the
/// output dtype, where q(e) is the high nibble of packed byte e/2 for even e and the low nibble for odd e. Any
/// element range can be decoded (odd starts, blocks cut anywhere), so callers can work in row chunks.
/// </summary>
public static class Bnb4BitDequantizer
{
    /// <summary>
    /// Decodes elements [start, start + destination.Length) to float32. <paramref name="packed"/> begins at packed
    /// byte start / 2 and <paramref name="absmax"/> at block start / blocksize (float32 maxima; rebuild double-quantized
    /// ones with <see cref="BnbDoubleQuant"/>); both may be longer than needed.
    /// </summary>
    public static void Dequantize(
        BnbQuantType quantType, int blocksize, long start, ReadOnlySpan<byte> packed, ReadOnlySpan<float> absmax, Span<float> destination) =>
        Dequantize(quantType, blocksize, start, packed, absmax, DType.F32, MemoryMarshal.AsBytes(destination), SimdWidths.Widest);

    /// <summary>
    /// As <see cref="Dequantize(BnbQuantType, int, long, ReadOnlySpan{byte}, ReadOnlySpan{float}, Span{float})"/>, writing
    /// <paramref name="dtype"/> (F32, BF16 or F16) little-endian values: each float32 product rounded once to nearest even.
    /// </summary>
    public static void Dequantize(
        BnbQuantType quantType, int blocksize, long start, ReadOnlySpan<byte> packed, ReadOnlySpan<float> absmax, DType dtype, Span<byte> destination) =>
        Dequantize(quantType, blocksize, start, packed, absmax, dtype, destination, SimdWidths.Widest);

    internal static void Dequantize(
        BnbQuantType quantType, int blocksize, long start, ReadOnlySpan<byte> packed, ReadOnlySpan<float> absmax, DType dtype, Span<byte> destination,
        SimdWidth width)
    {
        var code = Bnb4BitCodes.Values(quantType);
        var size = OutputSize(dtype);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blocksize);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        if (destination.Length % size != 0)
            throw new ArgumentException($"destination holds {destination.Length} bytes, not a whole number of {DTypes.SafetensorsName(dtype)} values", nameof(destination));
        var count = destination.Length / size;
        if (count == 0)
            return;
        var end = checked(start + count);
        var bytesNeeded = (end + 1) / 2 - start / 2;
        if (packed.Length < bytesNeeded)
            throw new ArgumentException($"elements [{start}, {end}) need {bytesNeeded} packed bytes from byte {start / 2}, got {packed.Length}", nameof(packed));
        var blocksNeeded = (end - 1) / blocksize - start / blocksize + 1;
        if (absmax.Length < blocksNeeded)
            throw new ArgumentException($"elements [{start}, {end}) span {blocksNeeded} blocks of {blocksize} from block {start / blocksize}, got {absmax.Length} maxima", nameof(absmax));
        ConversionGuard.CheckNoOverlap(packed, destination);
        ConversionGuard.CheckNoOverlap(MemoryMarshal.AsBytes(absmax), destination);

        var range = new ElementRange(start, count, blocksize, size);
        if (width == SimdWidth.Scalar)
            DecodeScalar(code, range, packed, absmax, dtype, destination);
        else
            DecodeByTables(code, range, packed, absmax, dtype, destination, width);
    }

    private static int OutputSize(DType dtype) => dtype switch
    {
        DType.F32 => sizeof(float),
        DType.BF16 or DType.F16 => sizeof(ushort),
        _ => throw new ArgumentException($"4-bit weights decode to F32, BF16 or F16, not {DTypes.SafetensorsName(dtype)}", nameof(dtype)),
    };

    /// <summary>The elements being decoded and where their inputs begin (packed byte start/2, block start/blocksize).</summary>
    private readonly record struct ElementRange(long Start, int Count, int Blocksize, int Size)
    {
        public long End => Start + Count;

        public long FirstBlock => Start / Blocksize;

        public long FirstByte => Start / 2;

        public int Code(ReadOnlySpan<byte> packed, long element)
        {
            var b = packed[(int)(element / 2 - FirstByte)];
            return (element & 1) == 0 ? b >> 4 : b & 0xF;
        }
    }

    // The reference: each element computed on its own, as the formula says.
    private static void DecodeScalar(ReadOnlySpan<float> code, ElementRange range, ReadOnlySpan<byte> packed, ReadOnlySpan<float> absmax, DType dtype, Span<byte> destination)
    {
        var floats = MemoryMarshal.Cast<byte, float>(destination);
        var halves = MemoryMarshal.Cast<byte, ushort>(destination);
        for (var block = range.FirstBlock; block * range.Blocksize < range.End; block++)
        {
            var scale = absmax[(int)(block - range.FirstBlock)];
            var from = Math.Max(range.Start, block * range.Blocksize);
            var to = Math.Min(range.End, (block + 1) * range.Blocksize);
            for (var e = from; e < to; e++)
            {
                var value = code[range.Code(packed, e)] * scale;
                var i = (int)(e - range.Start);
                switch (dtype)
                {
                    case DType.F32:
                        floats[i] = value;
                        break;
                    case DType.BF16:
                        halves[i] = BFloat16Kernels.FromSingle(value);
                        break;
                    default:
                        halves[i] = HalfKernels.FromSingle(value);
                        break;
                }
            }
        }
    }

    private static void DecodeByTables(
        ReadOnlySpan<float> code, ElementRange range, ReadOnlySpan<byte> packed, ReadOnlySpan<float> absmax, DType dtype, Span<byte> destination, SimdWidth width)
    {
        Span<float> products = stackalloc float[BlockTables.ProductsLength];
        Span<ushort> halves = stackalloc ushort[BlockTables.ProductsLength];
        var values = dtype == DType.F32 ? MemoryMarshal.AsBytes(products) : MemoryMarshal.AsBytes(halves);
        var tableBytes = Bnb4BitCodes.Count * range.Size;
        var blocks = (int)((range.End - 1) / range.Blocksize - range.FirstBlock + 1);
        for (var run = 0; run < blocks; run += BlockTables.MaxBlocks)
        {
            var runBlocks = Math.Min(BlockTables.MaxBlocks, blocks - run);
            BlockTables.Build(code, absmax.Slice(run, runBlocks), dtype, products, halves, width);

            // Only the range's first and last block can be cut; the whole blocks between expand in one call (blocks of
            // odd size do not start on a byte boundary, so each of them is decoded on its own).
            var runStart = (range.FirstBlock + run) * range.Blocksize;
            var b = 0;
            if (run == 0 && range.Start != runStart)
                DecodeBlock(range, runStart, b++, packed, values, destination, width);
            var wholeEnd = run + runBlocks == blocks && range.End != runStart + (long)runBlocks * range.Blocksize ? runBlocks - 1 : runBlocks;
            if (range.Blocksize % 2 == 0 && wholeEnd > b)
            {
                ExpandWholeBlocks(range, runStart + (long)b * range.Blocksize, wholeEnd - b, packed, values[(b * tableBytes)..], destination, width);
                b = wholeEnd;
            }
            for (; b < runBlocks; b++)
                DecodeBlock(range, runStart, b, packed, values, destination, width);
        }
    }

    /// <summary>Decodes the part of block <paramref name="b"/> of a run that lies in the range.</summary>
    private static void DecodeBlock(ElementRange range, long runStart, int b, ReadOnlySpan<byte> packed, ReadOnlySpan<byte> values, Span<byte> destination, SimdWidth width)
    {
        var blockStart = runStart + (long)b * range.Blocksize;
        var tableBytes = Bnb4BitCodes.Count * range.Size;
        DecodeSegment(
            range, Math.Max(range.Start, blockStart), Math.Min(range.End, blockStart + range.Blocksize), packed,
            values.Slice(b * tableBytes, tableBytes), destination, width);
    }

    private static void ExpandWholeBlocks(ElementRange range, long first, int blocks, ReadOnlySpan<byte> packed, ReadOnlySpan<byte> values, Span<byte> destination, SimdWidth width)
    {
        var blockBytes = range.Blocksize / 2;
        var input = packed.Slice((int)(first / 2 - range.FirstByte), blocks * blockBytes);
        var output = destination.Slice((int)(first - range.Start) * range.Size, blocks * range.Blocksize * range.Size);
        Expand(input, output, values[..(blocks * Bnb4BitCodes.Count * range.Size)], (nuint)blocks, (nuint)blockBytes, range.Size, width);
    }

    /// <summary>Decodes elements [from, to) of one block: whole packed bytes by vectors, a lone nibble at either end alone.</summary>
    private static void DecodeSegment(
        ElementRange range, long from, long to, ReadOnlySpan<byte> packed, ReadOnlySpan<byte> values, Span<byte> destination, SimdWidth width)
    {
        var size = range.Size;
        if ((from & 1) != 0)
        {
            CopyValue(range, from, packed, values, destination);
            from++;
        }
        var pairs = (int)((to - from) / 2);
        if (pairs > 0)
        {
            var input = packed.Slice((int)(from / 2 - range.FirstByte), pairs);
            var output = destination.Slice((int)(from - range.Start) * size, 2 * pairs * size);
            Expand(input, output, values, 1, (nuint)pairs, size, width);
            from += 2 * pairs;
        }
        if (from < to)
            CopyValue(range, from, packed, values, destination);
    }

    // The spans were sized by the callers; the kernels take references.
    private static void Expand(ReadOnlySpan<byte> input, Span<byte> output, ReadOnlySpan<byte> values, nuint blocks, nuint blockBytes, int size, SimdWidth width)
    {
        ref var src = ref MemoryMarshal.GetReference(input);
        ref var table = ref MemoryMarshal.GetReference(values);
        ref var dst = ref MemoryMarshal.GetReference(output);
        if (size == sizeof(ushort))
            NibbleExpansion.Expand16(ref src, ref Unsafe.As<byte, ushort>(ref dst), ref Unsafe.As<byte, ushort>(ref table), blocks, blockBytes, width);
        else
            NibbleExpansion.Expand32(ref src, ref Unsafe.As<byte, uint>(ref dst), ref Unsafe.As<byte, uint>(ref table), blocks, blockBytes, width);
    }

    private static void CopyValue(ElementRange range, long element, ReadOnlySpan<byte> packed, ReadOnlySpan<byte> values, Span<byte> destination) =>
        values.Slice(range.Code(packed, element) * range.Size, range.Size).CopyTo(destination[((int)(element - range.Start) * range.Size)..]);
}
