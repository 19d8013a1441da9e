using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Thaw.Tensors;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// Every output value of a 4-bit block depends only on its code and the block's absmax, so a block has just 16
/// possible outputs: <c>dtype(code[q] * absmax)</c>, the float32 product rounded once. This computes those 16 values
/// for a run of blocks in the output encoding (the products, then Thaw's exact conversion kernels); decoding is then
/// a table lookup per element, exactly equal to computing each product.
/// </summary>
internal static class BlockTables
{
    /// <summary>Blocks per run: the scratch stays within a few KiB of stack.</summary>
    public const int MaxBlocks = 64;

    /// <summary>Scratch floats for the products of a run.</summary>
    public const int ProductsLength = MaxBlocks * Bnb4BitCodes.Count;

    /// <summary>
    /// Fills, for each block b of <paramref name="absmax"/>, the 16 values of block b at entries [16b, 16b + 16): for
    /// F32 in <paramref name="products"/> itself, for BF16/F16 in <paramref name="halves"/>.
    /// </summary>
    public static void Build(ReadOnlySpan<float> code, ReadOnlySpan<float> absmax, DType output, Span<float> products, Span<ushort> halves, SimdWidth width)
    {
        var entries = absmax.Length * Bnb4BitCodes.Count;
        if (products.Length < entries || code.Length != Bnb4BitCodes.Count)
            throw new ArgumentException($"scratch for {absmax.Length} blocks needs {entries} products", nameof(products));
        ref var c = ref MemoryMarshal.GetReference(code);
        var c0 = Vector128.LoadUnsafe(ref c);
        var c1 = Vector128.LoadUnsafe(ref c, 4);
        var c2 = Vector128.LoadUnsafe(ref c, 8);
        var c3 = Vector128.LoadUnsafe(ref c, 12);
        ref var p = ref MemoryMarshal.GetReference(products);
        for (var b = 0; b < absmax.Length; b++)
        {
            var scale = Vector128.Create(absmax[b]);
            ref var row = ref Unsafe.Add(ref p, b * Bnb4BitCodes.Count);
            (c0 * scale).StoreUnsafe(ref row);
            (c1 * scale).StoreUnsafe(ref row, 4);
            (c2 * scale).StoreUnsafe(ref row, 8);
            (c3 * scale).StoreUnsafe(ref row, 12);
        }

        if (output == DType.BF16)
            BFloat16Kernels.FromSingle(products[..entries], halves[..entries], width);
        else if (output == DType.F16)
            HalfKernels.FromSingle(products[..entries], halves[..entries], width);
    }
}
