using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Thaw.Tensors;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// Expands packed 4-bit codes (byte j holds element 2j in its high nibble, 2j+1 in its low nibble) into 16- or
/// 32-bit values through one block's 16-entry table. The table is split into byte planes (plane k = byte k of each
/// entry, 16 bytes) and every output byte is a per-128-bit-lane byte shuffle (pshufb / tbl) of its plane by the code.
/// Index bytes are either a code (0..15) or 0xFF, which every shuffle turns into 0, so the planes are OR-ed.
/// </summary>
internal static class NibbleExpansion
{
    /// <summary>
    /// Writes 2 × packed.Length 16-bit values. <paramref name="planes"/>: 32 bytes, the low bytes of the 16 table
    /// entries, then the high bytes; <paramref name="table"/>: the entries, for inputs shorter than one vector.
    /// </summary>
    public static void Expand16(ReadOnlySpan<byte> packed, Span<ushort> destination, ReadOnlySpan<byte> planes, ReadOnlySpan<ushort> table, SimdWidth width)
    {
        ref var src = ref MemoryMarshal.GetReference(packed);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        var n = (nuint)packed.Length;
        var p0 = Vector128.Create(planes[..16]);
        var p1 = Vector128.Create(planes.Slice(16, 16));

        if (width >= SimdWidth.Vector512 && n >= Step16x512)
            Expand16x512(ref src, ref dst, n, p0, p1);
        else if (width >= SimdWidth.Vector256 && n >= Step16x256)
            Expand16x256(ref src, ref dst, n, p0, p1);
        else if (width >= SimdWidth.Vector128 && n >= Step16x128)
            Expand16x128(ref src, ref dst, n, p0, p1);
        else
            ExpandScalar(ref src, ref dst, n, table);
    }

    /// <summary>
    /// Writes 2 × packed.Length 32-bit values. <paramref name="planes"/>: 64 bytes, byte 0 of the 16 entries, then
    /// byte 1, 2 and 3 (little-endian); <paramref name="table"/>: the entries.
    /// </summary>
    public static void Expand32(ReadOnlySpan<byte> packed, Span<uint> destination, ReadOnlySpan<byte> planes, ReadOnlySpan<uint> table, SimdWidth width)
    {
        ref var src = ref MemoryMarshal.GetReference(packed);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        var n = (nuint)packed.Length;
        var p = new Planes32(
            Vector128.Create(planes[..16]), Vector128.Create(planes.Slice(16, 16)),
            Vector128.Create(planes.Slice(32, 16)), Vector128.Create(planes.Slice(48, 16)));

        if (width >= SimdWidth.Vector512 && n >= Step32x512)
            Expand32x512(ref src, ref dst, n, p);
        else if (width >= SimdWidth.Vector256 && n >= Step32x256)
            Expand32x256(ref src, ref dst, n, p);
        else if (width >= SimdWidth.Vector128 && n >= Step32x128)
            Expand32x128(ref src, ref dst, n, p);
        else
            ExpandScalar(ref src, ref dst, n, table);
    }

    private static void ExpandScalar<T>(ref byte src, ref T dst, nuint n, ReadOnlySpan<T> table)
    {
        for (nuint j = 0; j < n; j++)
        {
            var b = Unsafe.Add(ref src, j);
            Unsafe.Add(ref dst, 2 * j) = table[b >> 4];
            Unsafe.Add(ref dst, 2 * j + 1) = table[b & 0xF];
        }
    }

    // Every width consumes a few packed bytes per step (one output vector); the last step is moved back to end
    // exactly at n (n >= one step), rewriting a few values instead of running a scalar tail. Each packed byte is
    // zero-extended to one lane holding its two outputs; the lane's index bytes are [hi, FF.., lo, FF..] for plane 0
    // and the same shifted left by one byte per plane.

    private const nuint Step16x128 = 4;
    private const nuint Step16x256 = 8;
    private const nuint Step16x512 = 16;
    private const nuint Step32x128 = 2;
    private const nuint Step32x256 = 4;
    private const nuint Step32x512 = 8;

    private readonly record struct Planes32(Vector128<byte> P0, Vector128<byte> P1, Vector128<byte> P2, Vector128<byte> P3);

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

    private static void Expand16x256(ref byte src, ref ushort dst, nuint n, Vector128<byte> p0, Vector128<byte> p1)
    {
        var t0 = Vector256.Create(p0, p0);
        var t1 = Vector256.Create(p1, p1);
        for (nuint i = 0; i < n - Step16x256; i += Step16x256)
            Step16(ref src, ref dst, i, t0, t1);
        Step16(ref src, ref dst, n - Step16x256, t0, t1);
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

    private static void Expand16x512(ref byte src, ref ushort dst, nuint n, Vector128<byte> p0, Vector128<byte> p1)
    {
        var t0 = Vector512.Create(Vector256.Create(p0, p0), Vector256.Create(p0, p0));
        var t1 = Vector512.Create(Vector256.Create(p1, p1), Vector256.Create(p1, p1));
        for (nuint i = 0; i < n - Step16x512; i += Step16x512)
            Step16(ref src, ref dst, i, t0, t1);
        Step16(ref src, ref dst, n - Step16x512, t0, t1);
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

    private static void Expand32x128(ref byte src, ref uint dst, nuint n, Planes32 p)
    {
        for (nuint i = 0; i < n - Step32x128; i += Step32x128)
            Step32(ref src, ref dst, i, p);
        Step32(ref src, ref dst, n - Step32x128, p);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step32(ref byte src, ref uint dst, nuint i, Planes32 p)
    {
        var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref src, i))).AsByte();
        var lanes = Vector128.WidenLower(Vector128.WidenLower(Vector128.WidenLower(bytes)));
        var index0 = (lanes >> 4) | ((lanes & Vector128.Create(0xFul)) << 32) | Vector128.Create(0xFFFFFF00_FFFFFF00ul);
        var values = Lookup(p.P0, index0.AsByte())
            | Lookup(p.P1, ((index0 << 8) | Vector128.Create(0xFFul)).AsByte())
            | Lookup(p.P2, ((index0 << 16) | Vector128.Create(0xFFFFul)).AsByte())
            | Lookup(p.P3, ((index0 << 24) | Vector128.Create(0xFFFFFFul)).AsByte());
        values.AsUInt32().StoreUnsafe(ref dst, 2 * i);
    }

    private static void Expand32x256(ref byte src, ref uint dst, nuint n, Planes32 p)
    {
        var t0 = Vector256.Create(p.P0, p.P0);
        var t1 = Vector256.Create(p.P1, p.P1);
        var t2 = Vector256.Create(p.P2, p.P2);
        var t3 = Vector256.Create(p.P3, p.P3);
        for (nuint i = 0; i < n - Step32x256; i += Step32x256)
            Step32(ref src, ref dst, i, t0, t1, t2, t3);
        Step32(ref src, ref dst, n - Step32x256, t0, t1, t2, t3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step32(ref byte src, ref uint dst, nuint i, Vector256<byte> t0, Vector256<byte> t1, Vector256<byte> t2, Vector256<byte> t3)
    {
        var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref src, i))).AsByte();
        var lanes = Vector256.WidenLower(Vector128.WidenLower(Vector128.WidenLower(bytes)).ToVector256Unsafe());
        var index0 = (lanes >> 4) | ((lanes & Vector256.Create(0xFul)) << 32) | Vector256.Create(0xFFFFFF00_FFFFFF00ul);
        var values = Lookup(t0, index0.AsByte())
            | Lookup(t1, ((index0 << 8) | Vector256.Create(0xFFul)).AsByte())
            | Lookup(t2, ((index0 << 16) | Vector256.Create(0xFFFFul)).AsByte())
            | Lookup(t3, ((index0 << 24) | Vector256.Create(0xFFFFFFul)).AsByte());
        values.AsUInt32().StoreUnsafe(ref dst, 2 * i);
    }

    private static void Expand32x512(ref byte src, ref uint dst, nuint n, Planes32 p)
    {
        var t0 = Broadcast512(p.P0);
        var t1 = Broadcast512(p.P1);
        var t2 = Broadcast512(p.P2);
        var t3 = Broadcast512(p.P3);
        for (nuint i = 0; i < n - Step32x512; i += Step32x512)
            Step32(ref src, ref dst, i, t0, t1, t2, t3);
        Step32(ref src, ref dst, n - Step32x512, t0, t1, t2, t3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step32(ref byte src, ref uint dst, nuint i, Vector512<byte> t0, Vector512<byte> t1, Vector512<byte> t2, Vector512<byte> t3)
    {
        var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref src, i))).AsByte();
        var words = Vector256.WidenLower(Vector128.WidenLower(bytes).ToVector256Unsafe());
        var lanes = Vector512.WidenLower(words.ToVector512Unsafe());
        var index0 = (lanes >> 4) | ((lanes & Vector512.Create(0xFul)) << 32) | Vector512.Create(0xFFFFFF00_FFFFFF00ul);
        var values = Lookup(t0, index0.AsByte())
            | Lookup(t1, ((index0 << 8) | Vector512.Create(0xFFul)).AsByte())
            | Lookup(t2, ((index0 << 16) | Vector512.Create(0xFFFFul)).AsByte())
            | Lookup(t3, ((index0 << 24) | Vector512.Create(0xFFFFFFul)).AsByte());
        values.AsUInt32().StoreUnsafe(ref dst, 2 * i);
    }

    private static Vector512<byte> Broadcast512(Vector128<byte> plane)
    {
        var half = Vector256.Create(plane, plane);
        return Vector512.Create(half, half);
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
