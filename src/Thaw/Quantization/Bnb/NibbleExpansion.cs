using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Thaw.Tensors;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// Expands packed 4-bit codes (byte j holds element 2j in its high nibble, 2j+1 in its low nibble) of consecutive
/// blocks into 16- or 32-bit values through each block's 16-entry table. A table is split into byte planes (plane k =
/// byte k of each entry, 16 bytes) and every output byte is a per-128-bit-lane byte shuffle (pshufb / tbl) of its
/// plane by the code. Index bytes are either a code (0..15) or 0xFF, which every shuffle turns into 0, so the planes'
/// lookups are OR-ed together.
/// </summary>
internal static class NibbleExpansion
{
    // Packed bytes per step (one output vector) at each width.
    private const nuint Step16x128 = 4;
    private const nuint Step16x256 = 8;
    private const nuint Step16x512 = 16;
    private const nuint Step32x128 = 2;
    private const nuint Step32x256 = 4;
    private const nuint Step32x512 = 8;

    /// <summary>
    /// Expands <paramref name="blocks"/> blocks of <paramref name="blockBytes"/> packed bytes each into 16-bit values:
    /// block k reads src[k·blockBytes…], writes dst[2k·blockBytes…] and looks up table[16k…16k+16).
    /// </summary>
    public static void Expand16(ref byte src, ref ushort dst, ref ushort table, nuint blocks, nuint blockBytes, SimdWidth width)
    {
        if (width >= SimdWidth.Vector512 && blockBytes >= Step16x512)
        {
            for (nuint k = 0; k < blocks; k++)
            {
                var planes = Planes16(Vector256.LoadUnsafe(ref table, 16 * k));
                Expand16x512(ref Unsafe.Add(ref src, k * blockBytes), ref Unsafe.Add(ref dst, 2 * k * blockBytes), blockBytes,
                    Broadcast512(planes.GetLower()), Broadcast512(planes.GetUpper()));
            }
        }
        else if (width >= SimdWidth.Vector256 && blockBytes >= Step16x256)
        {
            for (nuint k = 0; k < blocks; k++)
            {
                var planes = Planes16(Vector256.LoadUnsafe(ref table, 16 * k));
                Expand16x256(ref Unsafe.Add(ref src, k * blockBytes), ref Unsafe.Add(ref dst, 2 * k * blockBytes), blockBytes,
                    Broadcast256(planes.GetLower()), Broadcast256(planes.GetUpper()));
            }
        }
        else if (width >= SimdWidth.Vector128 && blockBytes >= Step16x128)
        {
            for (nuint k = 0; k < blocks; k++)
            {
                var first = Vector128.LoadUnsafe(ref table, 16 * k);
                var second = Vector128.LoadUnsafe(ref table, 16 * k + 8);
                var low = Vector128.Create((ushort)0xFF);
                Expand16x128(ref Unsafe.Add(ref src, k * blockBytes), ref Unsafe.Add(ref dst, 2 * k * blockBytes), blockBytes,
                    Vector128.Narrow(first & low, second & low), Vector128.Narrow(first >> 8, second >> 8));
            }
        }
        else
        {
            ExpandScalar(ref src, ref dst, ref table, blocks, blockBytes);
        }
    }

    /// <summary>As <see cref="Expand16"/>, for 32-bit values (float32 bit patterns).</summary>
    public static void Expand32(ref byte src, ref uint dst, ref uint table, nuint blocks, nuint blockBytes, SimdWidth width)
    {
        if (width >= SimdWidth.Vector512 && blockBytes >= Step32x512)
        {
            for (nuint k = 0; k < blocks; k++)
            {
                var (p01, p23) = Planes32(Vector256.LoadUnsafe(ref table, 16 * k), Vector256.LoadUnsafe(ref table, 16 * k + 8));
                Expand32x512(ref Unsafe.Add(ref src, k * blockBytes), ref Unsafe.Add(ref dst, 2 * k * blockBytes), blockBytes,
                    Broadcast512(p01.GetLower()), Broadcast512(p01.GetUpper()), Broadcast512(p23.GetLower()), Broadcast512(p23.GetUpper()));
            }
        }
        else if (width >= SimdWidth.Vector256 && blockBytes >= Step32x256)
        {
            for (nuint k = 0; k < blocks; k++)
            {
                var (p01, p23) = Planes32(Vector256.LoadUnsafe(ref table, 16 * k), Vector256.LoadUnsafe(ref table, 16 * k + 8));
                Expand32x256(ref Unsafe.Add(ref src, k * blockBytes), ref Unsafe.Add(ref dst, 2 * k * blockBytes), blockBytes,
                    Broadcast256(p01.GetLower()), Broadcast256(p01.GetUpper()), Broadcast256(p23.GetLower()), Broadcast256(p23.GetUpper()));
            }
        }
        else if (width >= SimdWidth.Vector128 && blockBytes >= Step32x128)
        {
            for (nuint k = 0; k < blocks; k++)
            {
                var (p0, p1, p2, p3) = Planes32(
                    Vector128.LoadUnsafe(ref table, 16 * k), Vector128.LoadUnsafe(ref table, 16 * k + 4),
                    Vector128.LoadUnsafe(ref table, 16 * k + 8), Vector128.LoadUnsafe(ref table, 16 * k + 12));
                Expand32x128(ref Unsafe.Add(ref src, k * blockBytes), ref Unsafe.Add(ref dst, 2 * k * blockBytes), blockBytes, p0, p1, p2, p3);
            }
        }
        else
        {
            ExpandScalar(ref src, ref dst, ref table, blocks, blockBytes);
        }
    }

    private static void ExpandScalar<T>(ref byte src, ref T dst, ref T table, nuint blocks, nuint blockBytes)
    {
        for (nuint k = 0; k < blocks; k++)
        {
            ref var values = ref Unsafe.Add(ref table, 16 * k);
            for (nuint j = k * blockBytes; j < (k + 1) * blockBytes; j++)
            {
                var b = Unsafe.Add(ref src, j);
                Unsafe.Add(ref dst, 2 * j) = Unsafe.Add(ref values, b >> 4);
                Unsafe.Add(ref dst, 2 * j + 1) = Unsafe.Add(ref values, b & 0xF);
            }
        }
    }

    // Byte planes of one table, built in registers: [plane 0 | plane 1] (and [plane 2 | plane 3] for 32-bit values).

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Planes16(Vector256<ushort> values) =>
        Vector256.Narrow(values & Vector256.Create((ushort)0xFF), values >> 8);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<byte> P01, Vector256<byte> P23) Planes32(Vector256<uint> first, Vector256<uint> second)
    {
        var low = Vector256.Create(0xFFu);
        var b0 = Vector256.Narrow(first & low, second & low);
        var b1 = Vector256.Narrow((first >> 8) & low, (second >> 8) & low);
        var b2 = Vector256.Narrow((first >> 16) & low, (second >> 16) & low);
        var b3 = Vector256.Narrow(first >> 24, second >> 24);
        return (Vector256.Narrow(b0, b1), Vector256.Narrow(b2, b3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector128<byte>, Vector128<byte>, Vector128<byte>, Vector128<byte>) Planes32(
        Vector128<uint> v0, Vector128<uint> v1, Vector128<uint> v2, Vector128<uint> v3)
    {
        var low = Vector128.Create(0xFFu);
        var b0 = Vector128.Narrow(Vector128.Narrow(v0 & low, v1 & low), Vector128.Narrow(v2 & low, v3 & low));
        var b1 = Vector128.Narrow(Vector128.Narrow((v0 >> 8) & low, (v1 >> 8) & low), Vector128.Narrow((v2 >> 8) & low, (v3 >> 8) & low));
        var b2 = Vector128.Narrow(Vector128.Narrow((v0 >> 16) & low, (v1 >> 16) & low), Vector128.Narrow((v2 >> 16) & low, (v3 >> 16) & low));
        var b3 = Vector128.Narrow(Vector128.Narrow(v0 >> 24, v1 >> 24), Vector128.Narrow(v2 >> 24, v3 >> 24));
        return (b0, b1, b2, b3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Broadcast256(Vector128<byte> plane) => Vector256.Create(plane, plane);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Broadcast512(Vector128<byte> plane) => Vector512.Create(Broadcast256(plane), Broadcast256(plane));

    // Each width consumes a few packed bytes per step (one output vector); the last step is moved back to end exactly
    // at n (n >= one step), rewriting a few values instead of running a scalar tail. Each packed byte is zero-extended
    // to one lane holding its two outputs; the lane's index bytes are [hi, FF.., lo, FF..] for plane 0 and the same
    // shifted left by one byte per further plane.

    private static void Expand16x128(ref byte src, ref ushort dst, nuint n, Vector128<byte> p0, Vector128<byte> p1)
    {
        for (nuint i = 0; i < n - Step16x128; i += Step16x128)
            Step16(ref src, ref dst, i, p0, p1);
        Step16(ref src, ref dst, n - Step16x128, p0, p1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step16(ref byte src, ref ushort dst, nuint i, Vector128<byte> p0, Vector128<byte> p1)
    {
        var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref src, i))).AsByte();
        var lanes = Vector128.WidenLower(Vector128.WidenLower(bytes));
        var index0 = (lanes >> 4) | ((lanes & Vector128.Create(0xFu)) << 16) | Vector128.Create(0xFF00FF00u);
        var index1 = (index0 << 8) | Vector128.Create(0x00FF00FFu);
        var values = Lookup(p0, index0.AsByte()) | Lookup(p1, index1.AsByte());
        values.AsUInt16().StoreUnsafe(ref dst, 2 * i);
    }

    private static void Expand16x256(ref byte src, ref ushort dst, nuint n, Vector256<byte> p0, Vector256<byte> p1)
    {
        for (nuint i = 0; i < n - Step16x256; i += Step16x256)
            Step16(ref src, ref dst, i, p0, p1);
        Step16(ref src, ref dst, n - Step16x256, p0, p1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step16(ref byte src, ref ushort dst, nuint i, Vector256<byte> p0, Vector256<byte> p1)
    {
        var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref src, i))).AsByte();
        var lanes = Vector256.WidenLower(Vector128.WidenLower(bytes).ToVector256Unsafe());
        var index0 = (lanes >> 4) | ((lanes & Vector256.Create(0xFu)) << 16) | Vector256.Create(0xFF00FF00u);
        var index1 = (index0 << 8) | Vector256.Create(0x00FF00FFu);
        var values = Lookup(p0, index0.AsByte()) | Lookup(p1, index1.AsByte());
        values.AsUInt16().StoreUnsafe(ref dst, 2 * i);
    }

    private static void Expand16x512(ref byte src, ref ushort dst, nuint n, Vector512<byte> p0, Vector512<byte> p1)
    {
        for (nuint i = 0; i < n - Step16x512; i += Step16x512)
            Step16(ref src, ref dst, i, p0, p1);
        Step16(ref src, ref dst, n - Step16x512, p0, p1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step16(ref byte src, ref ushort dst, nuint i, Vector512<byte> p0, Vector512<byte> p1)
    {
        var bytes = Vector128.LoadUnsafe(ref src, i);
        var lanes = Vector512.WidenLower(Vector256.WidenLower(bytes.ToVector256Unsafe()).ToVector512Unsafe());
        var index0 = (lanes >> 4) | ((lanes & Vector512.Create(0xFu)) << 16) | Vector512.Create(0xFF00FF00u);
        var index1 = (index0 << 8) | Vector512.Create(0x00FF00FFu);
        var values = Lookup(p0, index0.AsByte()) | Lookup(p1, index1.AsByte());
        values.AsUInt16().StoreUnsafe(ref dst, 2 * i);
    }

    private static void Expand32x128(ref byte src, ref uint dst, nuint n, Vector128<byte> p0, Vector128<byte> p1, Vector128<byte> p2, Vector128<byte> p3)
    {
        for (nuint i = 0; i < n - Step32x128; i += Step32x128)
            Step32(ref src, ref dst, i, p0, p1, p2, p3);
        Step32(ref src, ref dst, n - Step32x128, p0, p1, p2, p3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step32(ref byte src, ref uint dst, nuint i, Vector128<byte> p0, Vector128<byte> p1, Vector128<byte> p2, Vector128<byte> p3)
    {
        var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref src, i))).AsByte();
        var lanes = Vector128.WidenLower(Vector128.WidenLower(Vector128.WidenLower(bytes)));
        var index0 = (lanes >> 4) | ((lanes & Vector128.Create(0xFul)) << 32) | Vector128.Create(0xFFFFFF00_FFFFFF00ul);
        var values = Lookup(p0, index0.AsByte())
            | Lookup(p1, ((index0 << 8) | Vector128.Create(0xFFul)).AsByte())
            | Lookup(p2, ((index0 << 16) | Vector128.Create(0xFFFFul)).AsByte())
            | Lookup(p3, ((index0 << 24) | Vector128.Create(0xFFFFFFul)).AsByte());
        values.AsUInt32().StoreUnsafe(ref dst, 2 * i);
    }

    private static void Expand32x256(ref byte src, ref uint dst, nuint n, Vector256<byte> p0, Vector256<byte> p1, Vector256<byte> p2, Vector256<byte> p3)
    {
        for (nuint i = 0; i < n - Step32x256; i += Step32x256)
            Step32(ref src, ref dst, i, p0, p1, p2, p3);
        Step32(ref src, ref dst, n - Step32x256, p0, p1, p2, p3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step32(ref byte src, ref uint dst, nuint i, Vector256<byte> p0, Vector256<byte> p1, Vector256<byte> p2, Vector256<byte> p3)
    {
        var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref src, i))).AsByte();
        var lanes = Vector256.WidenLower(Vector128.WidenLower(Vector128.WidenLower(bytes)).ToVector256Unsafe());
        var index0 = (lanes >> 4) | ((lanes & Vector256.Create(0xFul)) << 32) | Vector256.Create(0xFFFFFF00_FFFFFF00ul);
        var values = Lookup(p0, index0.AsByte())
            | Lookup(p1, ((index0 << 8) | Vector256.Create(0xFFul)).AsByte())
            | Lookup(p2, ((index0 << 16) | Vector256.Create(0xFFFFul)).AsByte())
            | Lookup(p3, ((index0 << 24) | Vector256.Create(0xFFFFFFul)).AsByte());
        values.AsUInt32().StoreUnsafe(ref dst, 2 * i);
    }

    private static void Expand32x512(ref byte src, ref uint dst, nuint n, Vector512<byte> p0, Vector512<byte> p1, Vector512<byte> p2, Vector512<byte> p3)
    {
        for (nuint i = 0; i < n - Step32x512; i += Step32x512)
            Step32(ref src, ref dst, i, p0, p1, p2, p3);
        Step32(ref src, ref dst, n - Step32x512, p0, p1, p2, p3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step32(ref byte src, ref uint dst, nuint i, Vector512<byte> p0, Vector512<byte> p1, Vector512<byte> p2, Vector512<byte> p3)
    {
        var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref src, i))).AsByte();
        var words = Vector256.WidenLower(Vector128.WidenLower(bytes).ToVector256Unsafe());
        var lanes = Vector512.WidenLower(words.ToVector512Unsafe());
        var index0 = (lanes >> 4) | ((lanes & Vector512.Create(0xFul)) << 32) | Vector512.Create(0xFFFFFF00_FFFFFF00ul);
        var values = Lookup(p0, index0.AsByte())
            | Lookup(p1, ((index0 << 8) | Vector512.Create(0xFFul)).AsByte())
            | Lookup(p2, ((index0 << 16) | Vector512.Create(0xFFFFul)).AsByte())
            | Lookup(p3, ((index0 << 24) | Vector512.Create(0xFFFFFFul)).AsByte());
        values.AsUInt32().StoreUnsafe(ref dst, 2 * i);
    }

    // Per-128-bit-lane table lookups; each lane holds the same 16-byte plane. Vector256/512.Shuffle would index
    // across lanes, which AVX2 has no byte instruction for, so the wide forms are the lane-wise x86 shuffles or
    // two halves of the narrower form (unaccelerated widths then run in software with the same results).

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Lookup(Vector128<byte> plane, Vector128<byte> index) => Vector128.ShuffleNative(plane, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Lookup(Vector256<byte> plane, Vector256<byte> index) =>
        Avx2.IsSupported
            ? Avx2.Shuffle(plane, index)
            : Vector256.Create(Lookup(plane.GetLower(), index.GetLower()), Lookup(plane.GetUpper(), index.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Lookup(Vector512<byte> plane, Vector512<byte> index) =>
        Avx512BW.IsSupported
            ? Avx512BW.Shuffle(plane, index)
            : Vector512.Create(Lookup(plane.GetLower(), index.GetLower()), Lookup(plane.GetUpper(), index.GetUpper()));
}
