using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Thaw.Tensors;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// Every output value of a 4-bit block depends only on its code and the block's absmax, so a block has just 16
/// possible outputs: <c>dtype(code[q] * absmax)</c>, the float32 product rounded once. This builds those 16 values
/// for a run of blocks in the output encoding, plus their byte planes for <see cref="NibbleExpansion"/>; decoding
/// is then a table lookup per element, exactly equal to computing each product.
/// </summary>
internal static class BlockTables
{
    /// <summary>Blocks per run: the scratch (products, values, planes) stays within a few KiB of stack.</summary>
    public const int MaxBlocks = 64;

    /// <summary>Scratch floats <see cref="Build"/> needs for a run.</summary>
    public const int ProductsLength = MaxBlocks * Bnb4BitCodes.Count;

    /// <summary>Scratch bytes for values or planes of a run (32-bit outputs).</summary>
    public const int BytesLength = MaxBlocks * Bnb4BitCodes.Count * sizeof(float);

    /// <summary>
    /// Fills, for each block b of <paramref name="absmax"/>, the 16 values at <paramref name="values"/>[16·size·b…]
    /// (little-endian, size = 2 or 4 bytes per <paramref name="output"/>) and their planes at the same offsets in
    /// <paramref name="planes"/>.
    /// </summary>
    public static void Build(ReadOnlySpan<float> code, ReadOnlySpan<float> absmax, DType output, Span<float> products, Span<byte> values, Span<byte> planes, SimdWidth width)
    {
        var entries = absmax.Length * Bnb4BitCodes.Count;
        var c0 = Vector128.Create(code[..4]);
        var c1 = Vector128.Create(code.Slice(4, 4));
        var c2 = Vector128.Create(code.Slice(8, 4));
        var c3 = Vector128.Create(code.Slice(12, 4));
        for (var b = 0; b < absmax.Length; b++)
        {
            var scale = Vector128.Create(absmax[b]);
            var row = products.Slice(b * Bnb4BitCodes.Count, Bnb4BitCodes.Count);
            (c0 * scale).CopyTo(row);
            (c1 * scale).CopyTo(row[4..]);
            (c2 * scale).CopyTo(row[8..]);
            (c3 * scale).CopyTo(row[12..]);
        }

        switch (output)
        {
            case DType.F32:
                MemoryMarshal.AsBytes(products[..entries]).CopyTo(values);
                SplitPlanes32(MemoryMarshal.Cast<byte, uint>(values[..(entries * 4)]), planes);
                break;
            case DType.BF16:
                BFloat16Kernels.FromSingle(products[..entries], MemoryMarshal.Cast<byte, ushort>(values[..(entries * 2)]), width);
                SplitPlanes16(MemoryMarshal.Cast<byte, ushort>(values[..(entries * 2)]), planes);
                break;
            default:
                HalfKernels.FromSingle(products[..entries], MemoryMarshal.Cast<byte, ushort>(values[..(entries * 2)]), width);
                SplitPlanes16(MemoryMarshal.Cast<byte, ushort>(values[..(entries * 2)]), planes);
                break;
        }
    }

    private static void SplitPlanes16(ReadOnlySpan<ushort> values, Span<byte> planes)
    {
        var low = Vector128.Create((ushort)0xFF);
        for (var b = 0; b < values.Length / Bnb4BitCodes.Count; b++)
        {
            var first = Vector128.Create(values.Slice(b * 16, 8));
            var second = Vector128.Create(values.Slice(b * 16 + 8, 8));
            Vector128.Narrow(first & low, second & low).CopyTo(planes[(b * 32)..]);
            Vector128.Narrow(first >> 8, second >> 8).CopyTo(planes[(b * 32 + 16)..]);
        }
    }

    private static void SplitPlanes32(ReadOnlySpan<uint> values, Span<byte> planes)
    {
        var low = Vector128.Create(0xFFu);
        for (var b = 0; b < values.Length / Bnb4BitCodes.Count; b++)
        {
            var v0 = Vector128.Create(values.Slice(b * 16, 4));
            var v1 = Vector128.Create(values.Slice(b * 16 + 4, 4));
            var v2 = Vector128.Create(values.Slice(b * 16 + 8, 4));
            var v3 = Vector128.Create(values.Slice(b * 16 + 12, 4));
            for (var k = 0; k < 4; k++)
            {
                var shift = 8 * k;
                var front = Vector128.Narrow((v0 >> shift) & low, (v1 >> shift) & low);
                var back = Vector128.Narrow((v2 >> shift) & low, (v3 >> shift) & low);
                Vector128.Narrow(front, back).CopyTo(planes[(b * 64 + k * 16)..]);
            }
        }
    }
}
